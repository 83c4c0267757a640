"""Schemas of solutions, SKUs, reviews, tickets and trials."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.marketplace.entrypoints.schemas import (
    UtcDateTime,
    currency_field,
    email_field,
    money_field,
    name_field,
    page_schema_fields,
    phone_field,
    text_field,
)
from services.marketplace.service_layer.catalog import CATEGORIES
from shared.web import PageArgs


class Sku(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"))
    name = name_field(200, required=True)
    price_minor = money_field(required=True)
    currency = currency_field(required=True)
    region = name_field(60, required=True)


class EntitlementMapping(Schema):
    product_code = name_field(80, required=True)
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=100000))
    months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=120))


class Case(Schema):
    title = name_field(200, required=True)
    body = text_field(10000, load_default="")


class Resource(Schema):
    title = name_field(200, required=True)
    url = fields.Url(required=True, validate=validate.Length(max=500))


class Support(Schema):
    hours = text_field(100, allow_none=True)
    email = email_field(allow_none=True)
    phone = phone_field(allow_none=True)
    ticket_url = text_field(300, allow_none=True)


class SolutionChanges(Schema):
    name = name_field(200)
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    summary = name_field(1000)
    overview = text_field(20000, allow_none=True)
    cases = fields.List(fields.Nested(Case), validate=validate.Length(max=50))
    resources = fields.List(fields.Nested(Resource), validate=validate.Length(max=50))
    support = fields.Nested(Support)
    similar_ids = fields.List(fields.String(validate=validate.Length(max=36)), validate=validate.Length(max=20))
    entitlements = fields.List(fields.Nested(EntitlementMapping), validate=validate.Length(max=20))
    tax_rate_bp = fields.Integer(strict=True, validate=validate.Range(min=0, max=10000), metadata={"description": "tax rate, 600 = 6%"})
    skus = fields.List(fields.Nested(Sku), validate=validate.Length(min=1, max=50))


class SolutionInput(SolutionChanges):
    name = name_field(200, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    summary = name_field(1000, required=True)
    overview = text_field(20000, load_default=None, allow_none=True)
    cases = fields.List(fields.Nested(Case), load_default=list, validate=validate.Length(max=50))
    resources = fields.List(fields.Nested(Resource), load_default=list, validate=validate.Length(max=50))
    support = fields.Nested(Support, load_default=dict)
    similar_ids = fields.List(fields.String(validate=validate.Length(max=36)), load_default=list, validate=validate.Length(max=20))
    entitlements = fields.List(fields.Nested(EntitlementMapping), load_default=list, validate=validate.Length(max=20))
    tax_rate_bp = fields.Integer(strict=True, load_default=600, validate=validate.Range(min=0, max=10000))
    skus = fields.List(fields.Nested(Sku), required=True, validate=validate.Length(min=1, max=50))


class SkuOut(Sku):
    id = fields.String()


class SolutionCard(Schema):
    id = fields.String()
    name = fields.String()
    category = fields.String()
    summary = fields.String()
    sales_count = fields.Integer()
    rating = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    from_price_minor = fields.Integer(allow_none=True)
    currency = fields.String(allow_none=True)
    skus = fields.List(fields.Nested(SkuOut))


class Solution(SolutionCard):
    overview = fields.String(allow_none=True)
    cases = fields.List(fields.Nested(Case))
    resources = fields.List(fields.Nested(Resource))
    support = fields.Nested(Support)
    entitlements = fields.List(fields.Nested(EntitlementMapping))
    tax_rate_bp = fields.Integer()
    published = fields.Boolean()
    similar = fields.List(fields.Nested(SolutionCard))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class SolutionQuery(PageArgs):
    q = text_field(100, metadata={"description": "keyword: matches name, summary and SKU names/codes (Chinese included)"})
    category = fields.String(validate=validate.OneOf(CATEGORIES))


SolutionPage = Schema.from_dict(page_schema_fields(SolutionCard), name="SolutionPage")


class HotQuery(Schema):
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=50))


class HotList(Schema):
    items = fields.List(fields.Nested(SolutionCard))


class Categories(Schema):
    categories = fields.List(fields.String())


class ReviewInput(Schema):
    order_id = name_field(36, required=True)
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    comment = text_field(1000, allow_none=True)


class ReviewOut(Schema):
    id = fields.String()
    solution_id = fields.String()
    order_id = fields.String()
    rating = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = UtcDateTime()


ReviewPage = Schema.from_dict(page_schema_fields(ReviewOut), name="ReviewPage")


class TicketInput(Schema):
    service_type = name_field(60, required=True)
    category = name_field(60, required=True)
    subject = name_field(200, required=True)
    details = name_field(300, required=True, metadata={"description": "at most 300 characters"})
    name = name_field(100, required=True)
    phone = phone_field(allow_none=True)
    email = email_field(required=True)
    company = name_field(200, required=True)
    solution_id = text_field(36, allow_none=True)


class TicketOut(TicketInput):
    id = fields.String()
    reseller_id = fields.String(allow_none=True)
    attachment_id = fields.String(allow_none=True)
    created_at = UtcDateTime()


TicketPage = Schema.from_dict(page_schema_fields(TicketOut), name="TicketPage")


class TrialInput(Schema):
    name = name_field(100, required=True)
    email = email_field(required=True)
    phone = phone_field(required=True)
    company = name_field(200, required=True)
    remark = text_field(500, allow_none=True)


class Created(Schema):
    id = fields.String()
