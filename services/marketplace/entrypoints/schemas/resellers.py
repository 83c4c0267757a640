"""Schemas of reseller applications, profiles, tiers, dealers and channel users."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.marketplace.domain.tiers import TIERS
from services.marketplace.entrypoints.schemas import UtcDateTime, email_field, name_field, page_schema_fields, phone_field, text_field
from shared.web import PageArgs


class ApplicationForm(Schema):
    company = name_field(200, required=True)
    business_owner = name_field(120, required=True, metadata={"description": "the platform's account manager following this reseller"})
    contact_name = name_field(100, required=True)
    email = email_field(required=True)
    phone = phone_field(required=True)
    position = name_field(100, required=True)
    address = name_field(300, required=True)


class ApplicationFiles(Schema):
    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), metadata={
        "description": "qualification files: jpg, png or pdf (checked by content), at most 5 files of 5 MiB"})


class StoredFile(Schema):
    id = fields.String()
    original_name = fields.String()
    kind = fields.String()
    media_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()


class Application(ApplicationForm):
    id = fields.String()
    status = fields.String()
    tier = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    reseller_id = fields.String(allow_none=True)
    created_at = UtcDateTime()
    files = fields.List(fields.Nested(StoredFile))


class ApplicationQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


ApplicationPage = Schema.from_dict(page_schema_fields(Application), name="ApplicationPage")


class Review(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    comment = text_field(500, allow_none=True)
    tier = fields.String(load_default="registered", validate=validate.OneOf(TIERS))


class TierChange(Schema):
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))


class Benefit(Schema):
    category = fields.String()
    name = fields.String()
    value = fields.String()


class Registrant(Schema):
    name = fields.String()
    email = fields.String()
    phone = fields.String()
    position = fields.String()


class Profile(Schema):
    reseller_id = fields.String()
    name = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    business_owner = fields.String(allow_none=True)
    registrant = fields.Nested(Registrant, allow_none=True)
    tier = fields.String()
    benefits = fields.List(fields.Nested(Benefit))


class BenefitRow(Schema):
    category = fields.String()
    name = fields.String()
    registered = fields.String()
    silver = fields.String()
    gold = fields.String()


class Tiers(Schema):
    tiers = fields.List(fields.String())
    benefits = fields.List(fields.Nested(BenefitRow))


class DealerInput(Schema):
    name = name_field(200, required=True)
    contact_name = text_field(100, allow_none=True)
    contact_email = email_field(allow_none=True)
    contact_phone = phone_field(allow_none=True)
    address = text_field(300, allow_none=True)
    region = text_field(60, allow_none=True)


class DealerChanges(DealerInput):
    name = name_field(200)
    org_id = text_field(64, allow_none=True, metadata={"description": "identity's dealer organisation of this dealer"})


class Dealer(DealerChanges):
    id = fields.String()
    status = fields.String()
    created_at = UtcDateTime()


DealerPage = Schema.from_dict(page_schema_fields(Dealer), name="DealerPage")


class SearchQuery(PageArgs):
    q = text_field(100)


class ChannelUserQuery(SearchQuery):
    dealer_id = text_field(36, metadata={"description": "users of this dealer instead of the distributor users"})


class ChannelUser(Schema):
    user_id = fields.String()
    org_id = fields.String()
    org_kind = fields.String()
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    invited_at = UtcDateTime()
    phone = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "identity's account state: invited, active, disabled"})
    enabled = fields.Boolean(metadata={"description": "false while identity has the account disabled"})
    last_login_at = UtcDateTime(allow_none=True)


ChannelUserPage = Schema.from_dict(page_schema_fields(ChannelUser), name="ChannelUserPage")
