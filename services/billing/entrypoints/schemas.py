"""Request and response schemas of the billing API (marshmallow): every field bounded, so bad input is a 422."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.billing.domain.billing_cycle import CYCLE_MONTHS, LANGUAGES
from services.billing.domain.devices import VIEWS
from services.billing.domain.expiry_import import EARLIEST, LATEST
from services.billing.domain.money import CURRENCIES, MAX_RENEWAL_MONTHS, PAYMENT_METHODS, PRICING_METHODS
from services.billing.service_layer.catalog import CATEGORY_TYPES
from services.billing.service_layer.companies import SCOPES
from shared.clock import isoformat
from shared.web import PageArgs

MAX_AMOUNT = 10**13
MAX_BATCH = 1000


class UtcDateTime(fields.DateTime):
    """ISO 8601 UTC with a `Z` (marshmallow's own field writes `+00:00`)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value) if isinstance(value, datetime) else value


def code_field(**kw: object) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$", error="1-40 letters, digits, _ . -"), **kw)


def id_field(**kw: object) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=64), **kw)


def currency_field(**kw: object) -> fields.String:
    return fields.String(validate=validate.OneOf(CURRENCIES), **kw)


def amount_field(**kw: object) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT), **kw)


def day_field(**kw: object) -> fields.Date:
    return fields.Date(validate=validate.Range(min=EARLIEST, max=LATEST), **kw)


def scope_field() -> fields.String:
    return fields.String(load_default="all", validate=validate.OneOf(SCOPES))


def device_ids_field(**kw: object) -> fields.List:
    return fields.List(id_field(), validate=validate.Length(min=1, max=MAX_BATCH), **kw)


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
        },
    )


class CompanyScopeArgs(PageArgs):
    company_id = id_field()
    scope = scope_field()


class Company(Schema):
    id = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)
    status = fields.String()


class CategoryIn(Schema):
    code = code_field(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    type = fields.String(required=True, validate=validate.OneOf(CATEGORY_TYPES))
    parent_code = code_field(allow_none=True)


class CategoryPatch(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class CategoryArgs(Schema):
    parent_code = code_field()
    top_level = fields.Boolean()
    q = fields.String(validate=validate.Length(max=60))


class Category(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String()
    parent_code = fields.String(allow_none=True)
    created_at = UtcDateTime()


class PackageIn(Schema):
    code = code_field(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    category_code = code_field(required=True)
    subcategory_code = code_field(allow_none=True)
    price_minor = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=MAX_AMOUNT))
    currency = currency_field(required=True)
    pricing = fields.String(required=True, validate=validate.OneOf(PRICING_METHODS))


class PackagePatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    category_code = code_field()
    subcategory_code = code_field(allow_none=True)
    price_minor = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT))
    currency = currency_field()
    pricing = fields.String(validate=validate.OneOf(PRICING_METHODS))


class PackageArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=60))
    category_code = code_field()
    subcategory_code = code_field()
    currency = currency_field()
    pricing = fields.String(validate=validate.OneOf(PRICING_METHODS))
    kind = fields.String(validate=validate.OneOf(CATEGORY_TYPES))


class Package(Schema):
    code = fields.String()
    name = fields.String()
    category_code = fields.String()
    subcategory_code = fields.String(allow_none=True)
    price_minor = fields.Integer()
    currency = fields.String()
    pricing = fields.String()
    kind = fields.String()
    created_at = UtcDateTime()


class DeviceIn(Schema):
    device_id = id_field(required=True)
    company_id = id_field(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    expires_on = day_field(required=True)
    package_code = code_field(allow_none=True)


class DeviceArgs(CompanyScopeArgs):
    status = fields.String(validate=validate.OneOf(VIEWS))
    type = fields.String(validate=validate.Length(min=1, max=60))
    bound = fields.Boolean()
    package_code = code_field()
    q = fields.String(validate=validate.Length(max=64))


class ExportArgs(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class DeviceExportArgs(ExportArgs, DeviceArgs):
    pass


class Device(Schema):
    device_id = fields.String()
    company_id = fields.String()
    type = fields.String()
    expires_on = fields.Date()
    status = fields.String()
    expiry_state = fields.String()
    package_code = fields.String(allow_none=True)
    created_at = UtcDateTime()
    deactivated_at = UtcDateTime(allow_none=True)


class DeviceBatch(Schema):
    device_ids = device_ids_field(required=True)


class BatchResult(Schema):
    changed = fields.List(fields.String())
    unchanged = fields.List(fields.String())


class ExpiryIn(Schema):
    expires_on = day_field(required=True)


class BindingIn(Schema):
    company_id = id_field(required=True)
    package_code = code_field(required=True)
    device_ids = device_ids_field()
    device_type = fields.String(validate=validate.Length(min=1, max=60))

    @validates_schema
    def one_target(self, data: dict, **_: object) -> None:
        if bool(data.get("device_ids")) == bool(data.get("device_type")):
            raise ValidationError("give either device_ids or device_type", "device_ids")


class BindingResult(Schema):
    company_id = fields.String()
    package_code = fields.String(allow_none=True)
    device_ids = fields.List(fields.String())


class ValueAddedIn(Schema):
    company_id = id_field(required=True)
    package_code = code_field(required=True)
    device_ids = device_ids_field(required=True)


class ValueAddedResult(Schema):
    order_id = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    device_ids = fields.List(fields.String())


class ValueAdded(Schema):
    device_id = fields.String()
    company_id = fields.String()
    type = fields.String()
    package_code = fields.String()
    order_id = fields.String()
    status = fields.String()
    added_at = UtcDateTime()


class RenewalItem(Schema):
    device_id = id_field(required=True)
    months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_RENEWAL_MONTHS))


class RenewalOrderIn(Schema):
    items = fields.List(fields.Nested(RenewalItem), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class OrderItem(Schema):
    device_id = fields.String(allow_none=True)
    package_code = fields.String(allow_none=True)
    months = fields.Integer(allow_none=True)
    amount_minor = fields.Integer()
    expires_before = fields.Date(allow_none=True)
    expires_after = fields.Date(allow_none=True)


class Payment(Schema):
    id = fields.String()
    method = fields.String()
    status = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    provider_ref = fields.String(allow_none=True)
    created_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)


class Order(Schema):
    id = fields.String()
    order_no = fields.String()
    company_id = fields.String()
    kind = fields.String()
    status = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    method = fields.String(allow_none=True)
    auto = fields.Boolean()
    error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    confirmed_at = UtcDateTime(allow_none=True)
    paid_at = UtcDateTime(allow_none=True)


class OrderDetail(Order):
    items = fields.List(fields.Nested(OrderItem))
    payments = fields.List(fields.Nested(Payment))


class OrderArgs(CompanyScopeArgs):
    kind = fields.String(validate=validate.OneOf(("renewal", "topup", "value_added")))
    status = fields.String(validate=validate.OneOf(("draft", "pending_payment", "paid", "failed")))
    method = fields.String(validate=validate.OneOf((*PAYMENT_METHODS, "offline")))
    currency = currency_field()
    from_ = day_field(data_key="from")
    to = day_field()


class OrderExportArgs(ExportArgs, OrderArgs):
    pass


class PaymentIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))


class PaymentStarted(Schema):
    order_id = fields.String()
    payment_id = fields.String()
    status = fields.String()
    order_status = fields.String()
    redirect_url = fields.String(allow_none=True)


class SandboxPayIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("success", "failure")))


class SandboxPage(Schema):
    payment_id = fields.String()
    method = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()


class SandboxPaid(Schema):
    payment_id = fields.String()
    outcome = fields.String()
    callback = fields.String(metadata={"description": "`queued`: the provider's signed callback follows (the worker sends it)"})


class CallbackResult(Schema):
    payment_id = fields.String()
    result = fields.String()


class BalanceArgs(Schema):
    company_id = id_field()


class BalanceLine(Schema):
    currency = fields.String()
    amount_minor = fields.Integer()


class Balances(Schema):
    company_id = fields.String()
    balances = fields.List(fields.Nested(BalanceLine))


class LedgerArgs(PageArgs):
    company_id = id_field()
    currency = currency_field()


class LedgerEntry(Schema):
    id = fields.Integer()
    currency = fields.String()
    amount_minor = fields.Integer()
    kind = fields.String()
    reference = fields.String()
    created_at = UtcDateTime()


class TopupIn(Schema):
    amount_minor = amount_field(required=True)
    currency = currency_field(required=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))


class OfflineTopupIn(Schema):
    company_id = id_field(required=True)
    payer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    currency = currency_field(required=True)
    amount_minor = amount_field(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=80))


class OfflineTopupPatch(Schema):
    company_id = id_field()
    payer = fields.String(validate=validate.Length(min=1, max=200))
    currency = currency_field()
    amount_minor = amount_field()
    reference = fields.String(validate=validate.Length(min=1, max=80))


class ReviewIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return", "decline")))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the request's version the reviewer looked at (GET answers it)"})


class OfflineTopupArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(("draft", "submitted", "returned", "approved", "declined")))
    company_id = id_field()
    currency = currency_field()
    q = fields.String(validate=validate.Length(max=80))


class HistoryEntry(Schema):
    at = UtcDateTime()
    actor_id = fields.String(allow_none=True)
    action = fields.String()
    status = fields.String()
    comment = fields.String(allow_none=True)
    changes = fields.Dict(allow_none=True)


class OfflineTopup(Schema):
    id = fields.String()
    company_id = fields.String()
    payer = fields.String()
    currency = fields.String()
    amount_minor = fields.Integer()
    reference = fields.String()
    status = fields.String()
    created_by = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "each edit makes a new one; a review names the version it approves"})


class OfflineTopupDetail(OfflineTopup):
    history = fields.List(fields.Nested(HistoryEntry))


class AccountConfigIn(Schema):
    company_id = id_field()
    billing_cycle = fields.String(required=True, validate=validate.OneOf(tuple(CYCLE_MONTHS)))
    auto_renew = fields.Boolean(required=True)
    notify = fields.Boolean(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    emails = fields.List(fields.Email(validate=validate.Length(max=200)), required=True, validate=validate.Length(max=10))


class AccountConfigArgs(Schema):
    company_id = id_field()


class AccountConfig(Schema):
    company_id = fields.String()
    billing_cycle = fields.String()
    auto_renew = fields.Boolean()
    notify = fields.Boolean()
    language = fields.String()
    emails = fields.List(fields.String())
    next_renewal_on = fields.Date(allow_none=True)
    updated_at = UtcDateTime()


class ExpiryImportForm(Schema):
    company_id = id_field()
    scope = scope_field()


class Rejection(Schema):
    row = fields.Integer()
    device_id = fields.String(allow_none=True)
    code = fields.String()
    detail = fields.String()


class ExpiryImport(Schema):
    id = fields.String()
    status = fields.String()
    filename = fields.String()
    company_id = fields.String(allow_none=True)
    scope = fields.String()
    total_rows = fields.Integer(allow_none=True)
    processed_rows = fields.Integer()
    applied_rows = fields.Integer()
    rejected_rows = fields.Integer()
    percent = fields.Float()
    error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    rejections = fields.List(fields.Nested(Rejection))
