"""Request and response schemas of the entitlements API (marshmallow), shared by its blueprints."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from services.entitlements.domain.change_requests import DECISIONS, KINDS
from services.entitlements.domain.orders import DEPLOYMENTS, ERPS, PRODUCT_KINDS, SERVICE_GROUPS, TRAFFIC_CATEGORIES
from shared.clock import isoformat
from shared.web import PageArgs

MAX_QUANTITY = 1_000_000_000
MAX_USES = 1_000_000
BATCH_LIMIT = 1000

Code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class UtcDateTime(fields.DateTime):
    """ISO 8601 UTC with a `Z` (marshmallow's own field writes `+00:00`)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value) if isinstance(value, datetime) else value


class PageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


# ---- products ------------------------------------------------------------------------------------

class ProductIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(PRODUCT_KINDS))
    service_group = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SERVICE_GROUPS))
    traffic_category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRAFFIC_CATEGORIES))
    units_per_use = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=1_000_000))


class ProductOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    service_group = fields.String(allow_none=True)
    traffic_category = fields.String(allow_none=True)
    units_per_use = fields.Integer()


class ProductListArgs(PageArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf(PRODUCT_KINDS))


class ProductPage(PageSchema):
    items = fields.List(fields.Nested(ProductOut))


# ---- orders --------------------------------------------------------------------------------------

class OrderLineIn(Schema):
    product_code = Code
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True)
    serial_number = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,48}$"))


class OrderIn(Schema):
    tenant_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    source = fields.String(load_default="sales", validate=validate.OneOf(("sales", "marketplace")))
    lines = fields.List(fields.Nested(OrderLineIn), required=True, validate=validate.Length(min=1, max=100))


class OrderLineOut(Schema):
    id = fields.String()
    product_code = fields.String()
    product_name = fields.String()
    kind = fields.String()
    service_group = fields.String(allow_none=True)
    quantity = fields.Integer()
    allocated = fields.Integer(allow_none=True)
    unallocated = fields.Integer(allow_none=True)
    remaining = fields.Integer(allow_none=True)
    valid_from = fields.String()
    valid_to = fields.String()
    serial_number = fields.String()
    activated = fields.Boolean()


class OrderSummaryOut(Schema):
    id = fields.String()
    order_no = fields.String()
    tenant_id = fields.String()
    tenant_name = fields.String(allow_none=True, metadata={"description": "in lists: the tenant's name beside its id"})
    source = fields.String()
    status = fields.String(metadata={"description": "delivered (awaiting activation) or activated"})
    erp = fields.String(allow_none=True)
    deployment = fields.String(allow_none=True)
    activated_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class OrderOut(OrderSummaryOut):
    lines = fields.List(fields.Nested(OrderLineOut))


ORDER_NO = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"


class OrderListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(("delivered", "activated")))
    order_no = fields.String(load_default=None, validate=validate.Regexp(ORDER_NO, error="an order number (letters, digits, -)"),
                             metadata={"description": "exactly this order number (support: across tenants)"})
    unallocated = fields.Boolean(load_default=False, metadata={"description": "only valid orders with unallocated seats"})
    tenant_id = fields.String(load_default=None, validate=validate.Length(max=64), metadata={"description": "platform staff only"})


class OrderPage(PageSchema):
    items = fields.List(fields.Nested(OrderSummaryOut))


class ActivationIn(Schema):
    operation_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    erp = fields.String(required=True, validate=validate.OneOf(ERPS))
    deployment = fields.String(required=True, validate=validate.OneOf(DEPLOYMENTS))


# ---- enterprises ---------------------------------------------------------------------------------

class EnterpriseIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tax_id = fields.String(required=True, validate=validate.Length(min=1, max=40))


class EnterpriseOut(Schema):
    id = fields.String()
    name = fields.String()
    tax_id = fields.String()
    registration = fields.Dict(allow_none=True, metadata={"description": "business registration details from the lookup"})
    api_client_id = fields.String(allow_none=True)
    created_at = UtcDateTime()


class RegistrationLookupOut(Schema):
    tax_id = fields.String(metadata={"description": "the tax ID as stored (upper case)"})
    registration = fields.Dict(allow_none=True, metadata={"description": "business registration details; null when unknown"})
    bound = fields.String(allow_none=True, metadata={"description": "own, other (another tenant's) or null"})
    tenant_name = fields.String(allow_none=True, metadata={"description": "the other tenant's name, masked"})


class EnterpriseListArgs(PageArgs):
    tax_id = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                      metadata={"description": "search: part of the name or of the tax ID (case-insensitive)"})


class EnterprisePage(PageSchema):
    items = fields.List(fields.Nested(EnterpriseOut))


# ---- allocations ---------------------------------------------------------------------------------

class AllocationIn(Schema):
    order_line_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    enterprise_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), required=True,
                                 validate=validate.Length(min=1, max=1000))


class AllocatedEnterpriseOut(Schema):
    id = fields.String()
    name = fields.String()
    tax_id = fields.String()


class AllocationResultOut(Schema):
    order_line_id = fields.String()
    quantity = fields.Integer()
    allocated = fields.Integer()
    unallocated = fields.Integer()
    enterprises = fields.List(fields.Nested(AllocatedEnterpriseOut))


class AuthorisationOut(Schema):
    client_id = fields.String()
    issued_at = UtcDateTime(allow_none=True)


class AllocationOut(Schema):
    id = fields.String()
    order_line_id = fields.String()
    order_no = fields.String()
    product_code = fields.String()
    product_name = fields.String()
    right_type = fields.String(allow_none=True)
    serial_number = fields.String()
    valid_from = fields.String()
    valid_to = fields.String()
    source = fields.String(metadata={"description": "portal or license (ERP licensing sync)"})
    allocated_at = UtcDateTime()
    enterprise_id = fields.String()
    enterprise_name = fields.String()
    tax_id = fields.String()
    authorisation = fields.Nested(AuthorisationOut, allow_none=True)


class AllocationListArgs(PageArgs):
    order_line_id = fields.String(load_default=None, validate=validate.Length(max=36))
    product_code = fields.String(load_default=None, validate=validate.Length(max=64))
    enterprise_id = fields.String(load_default=None, validate=validate.Length(max=36))
    enterprise_ids = DelimitedList(fields.String(validate=validate.Length(min=1, max=36)), validate=validate.Length(max=200),
                                   metadata={"description": "comma-separated: only these enterprises' allocations (at most 200)"})


class AllocationPage(PageSchema):
    items = fields.List(fields.Nested(AllocationOut))


# ---- usage ---------------------------------------------------------------------------------------

class UsageIn(Schema):
    product_code = Code
    tax_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    units = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_USES),
                           metadata={"description": "uses; the pool is charged uses × the product's units_per_use"})
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class UsageRequestIn(UsageIn):
    """A single consumption; a platform service names the tenant it acts for and may leave out the tax ID."""

    tax_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40),
                           metadata={"description": "required, except for a service drawing tenant-level traffic"})
    tenant_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                              metadata={"description": "platform services only: the tenant whose pool is drawn"})


class UsageOut(Schema):
    remaining = fields.Integer()
    deducted = fields.Integer()
    product_code = fields.String()
    tax_id = fields.String(allow_none=True, metadata={"description": "null for tenant-level traffic"})
    reference = fields.String(allow_none=True)


class UsageBatchIn(Schema):
    items = fields.List(fields.Nested(UsageIn), required=True, validate=validate.Length(min=1, max=BATCH_LIMIT))


class UsageItemResultOut(Schema):
    index = fields.Integer()
    ok = fields.Boolean()
    code = fields.String(allow_none=True, metadata={"description": "why the item was refused"})
    remaining = fields.Integer(allow_none=True)


class UsageBatchOut(Schema):
    results = fields.List(fields.Nested(UsageItemResultOut))
    accepted = fields.Integer()
    rejected = fields.Integer()


class UsageListArgs(PageArgs):
    product_code = fields.String(load_default=None, validate=validate.Length(max=64))
    tax_id = fields.String(load_default=None, validate=validate.Length(max=40))
    from_ = fields.Date(load_default=None, data_key="from")
    to = fields.Date(load_default=None)


class DailyArgs(UsageListArgs):
    by = fields.String(load_default="tax_id", validate=validate.OneOf(("tax_id", "product")),
                       metadata={"description": "tax_id: a row per day, product and tax ID; product: per day and product, "
                                                "all tax IDs together (tax_id null) — a chart's series"})


class UsageExportArgs(Schema):
    product_code = fields.String(load_default=None, validate=validate.Length(max=64))
    tax_id = fields.String(load_default=None, validate=validate.Length(max=40))
    from_ = fields.Date(load_default=None, data_key="from")
    to = fields.Date(load_default=None)
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class LedgerEntryOut(Schema):
    id = fields.Integer()
    product_code = fields.String()
    tax_id = fields.String(allow_none=True, metadata={"description": "null for tenant-level traffic (SMS)"})
    units = fields.Integer()
    reference = fields.String(allow_none=True)
    order_line_id = fields.String()
    used_at = UtcDateTime()


class LedgerPage(PageSchema):
    items = fields.List(fields.Nested(LedgerEntryOut))


class DailyTotalOut(Schema):
    day = fields.String()
    product_code = fields.String()
    tax_id = fields.String(allow_none=True, metadata={"description": "null for tenant-level traffic (SMS)"})
    units = fields.Integer()
    uses = fields.Integer()


class DailyPage(PageSchema):
    items = fields.List(fields.Nested(DailyTotalOut))


# ---- dashboard -----------------------------------------------------------------------------------

class ExpiringArgs(PageArgs):
    window = fields.String(load_default="30", validate=validate.OneOf(("30", "60", "90", "expired")))


class AffectedEnterpriseOut(Schema):
    name = fields.String()
    tax_id = fields.String()


class ExpiringLineOut(Schema):
    line_id = fields.String()
    order_id = fields.String()
    order_no = fields.String()
    product_code = fields.String()
    product_name = fields.String()
    kind = fields.String()
    serial_number = fields.String()
    quantity = fields.Integer()
    allocated = fields.Integer(allow_none=True)
    valid_from = fields.String()
    valid_to = fields.String()
    days_left = fields.Integer()
    enterprise_count = fields.Integer(metadata={"description": "enterprises holding a seat of the line"})
    enterprises = fields.List(fields.Nested(AffectedEnterpriseOut), metadata={"description": "the first 10 of them, by name"})


class ExpiringPage(PageSchema):
    items = fields.List(fields.Nested(ExpiringLineOut))


class DigitalInvoiceOut(Schema):
    activation_code = fields.String()
    valid_from = fields.String()
    valid_to = fields.String()
    expired = fields.Boolean()
    issued_at = UtcDateTime()
    qr_code_url = fields.String()


class FirstPage(Schema):
    total = fields.Integer()


class TenantOut(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)


class AdminOut(Schema):
    user_id = fields.String()
    username = fields.String()


class AllocationFirstPage(FirstPage):
    items = fields.List(fields.Nested(AllocationOut))


class DailyFirstPage(FirstPage):
    items = fields.List(fields.Nested(DailyTotalOut))


class OrderFirstPage(FirstPage):
    items = fields.List(fields.Nested(OrderSummaryOut))


class ExpiringFirstPage(FirstPage):
    items = fields.List(fields.Nested(ExpiringLineOut))


class SeatProductOut(Schema):
    product_code = fields.String()
    product_name = fields.String()
    right_type = fields.String(allow_none=True)
    quantity = fields.Integer()
    allocated = fields.Integer()
    enterprises = fields.Nested(AllocationFirstPage)


class DeductionRuleOut(Schema):
    units_per_use = fields.Integer()


class TrafficPoolOut(Schema):
    product_code = fields.String()
    product_name = fields.String()
    category = fields.String(allow_none=True)
    deduction_rule = fields.Nested(DeductionRuleOut)
    balance = fields.Integer()
    purchased = fields.Integer()
    consumed = fields.Integer()
    consumption = fields.Nested(DailyFirstPage)


class DashboardOut(Schema):
    tenant = fields.Nested(TenantOut)
    admins = fields.List(fields.Nested(AdminOut), metadata={"description": "the first admin; manage all through identity"})
    unallocated_orders = fields.Nested(
        OrderFirstPage,
        metadata={"description": "first page; more at GET /entitlements/v1/orders?unallocated=true"},
    )
    expiring = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ExpiringFirstPage),
        metadata={"description": "windows 30/60/90/expired; more at GET /entitlements/v1/expiring-lines?window="},
    )
    products = fields.List(fields.Nested(SeatProductOut),
                           metadata={"description": "more at GET /entitlements/v1/allocations?product_code="})
    traffic = fields.List(fields.Nested(TrafficPoolOut), metadata={"description": "more at GET /entitlements/v1/usage/daily?product_code="})
    digital_invoice = fields.Nested(DigitalInvoiceOut, allow_none=True)


# ---- change requests -----------------------------------------------------------------------------

class ChangeRequestIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    enterprise_id = fields.String(load_default=None, validate=validate.Length(max=36),
                                  metadata={"description": "tax_id_replacement: the enterprise whose tax ID is replaced"})
    new_tax_id = fields.String(load_default=None, validate=validate.Length(max=40))
    new_name = fields.String(load_default=None, validate=validate.Length(max=200))
    tax_id = fields.String(load_default=None, validate=validate.Length(max=40),
                           metadata={"description": "enterprise_move: the enterprise to move into your tenant"})
    target_tenant_id = fields.String(load_default=None, validate=validate.Length(max=64),
                                     metadata={"description": "tenant_merge: the tenant yours merges into"})


class ReviewIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default=None, validate=validate.Length(max=1000))


class ChangeRequestOut(Schema):
    id = fields.String()
    tenant_id = fields.String()
    kind = fields.String()
    status = fields.String()
    details = fields.Dict()
    reason = fields.String()
    chargeable = fields.Boolean()
    submitted_by = fields.String(allow_none=True)
    submitted_at = UtcDateTime()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)
    outcome = fields.Dict(allow_none=True)


class ChangeRequestListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(("pending", "approved", "rejected")))


class ChangeRequestPage(PageSchema):
    items = fields.List(fields.Nested(ChangeRequestOut))
