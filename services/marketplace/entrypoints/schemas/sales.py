"""Schemas of customers, the cart, checkout, orders and payments."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.marketplace.domain.orders import PAYMENT_METHODS, STATUSES
from services.marketplace.entrypoints.schemas import (
    UtcDateTime,
    email_field,
    money_field,
    name_field,
    page_schema_fields,
    phone_field,
    quantity_field,
    text_field,
)
from shared.web import PageArgs

Params = fields.Dict(keys=fields.String(validate=validate.Length(max=60)), values=fields.Raw(), load_default=dict,
                     validate=validate.Length(max=20), metadata={"description": "purchase parameters, e.g. account"})


class CustomerInput(Schema):
    name = name_field(100, required=True)
    company = name_field(200, required=True)
    email = email_field(required=True)
    phone = phone_field(required=True)
    address = text_field(300, allow_none=True)
    tenant_id = text_field(64, allow_none=True, metadata={"description": "the customer's entitlements tenant, for delivery"})


class CustomerChanges(CustomerInput):
    name = name_field(100)
    company = name_field(200)
    email = email_field()
    phone = phone_field()


class Customer(CustomerInput):
    id = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


CustomerPage = Schema.from_dict(page_schema_fields(Customer), name="CustomerPage")


class CartItemInput(Schema):
    sku_code = name_field(80, required=True)
    quantity = quantity_field(load_default=1)
    params = Params


class CartItemChanges(Schema):
    quantity = quantity_field()
    params = fields.Dict(keys=fields.String(validate=validate.Length(max=60)), values=fields.Raw(), validate=validate.Length(max=20))


class CartLine(Schema):
    id = fields.String()
    sku_code = fields.String()
    sku_name = fields.String()
    solution_id = fields.String()
    solution_name = fields.String()
    region = fields.String()
    price_minor = fields.Integer()
    currency = fields.String()
    quantity = fields.Integer()
    amount_minor = fields.Integer()
    params = fields.Dict()
    available = fields.Boolean()


class Cart(Schema):
    items = fields.List(fields.Nested(CartLine))
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "subtotal per currency"})


class ParamsQuery(Schema):
    sku_code = name_field(80, required=True)


class ParamsHistory(Schema):
    items = fields.List(fields.Dict())


class CheckoutItem(Schema):
    sku_code = name_field(80, required=True)
    quantity = quantity_field(required=True)
    params = Params


class CheckoutInput(Schema):
    items = fields.List(fields.Nested(CheckoutItem), validate=validate.Length(min=1, max=50))
    from_cart = fields.Boolean(load_default=False)
    cart_item_ids = fields.List(fields.String(validate=validate.Length(max=36)), validate=validate.Length(min=1, max=50))
    customer_id = name_field(36, required=True)
    payment_method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    coupon_code = text_field(16, allow_none=True)
    rebate_minor = money_field(load_default=0)
    expected_close_date = fields.Date(allow_none=True)
    remark = text_field(150, allow_none=True, metadata={"description": "at most 150 characters"})
    accept_contract = fields.Boolean(required=True)

    @validates_schema
    def items_or_cart(self, data: dict, **_kwargs: object) -> None:
        if bool(data.get("items")) == bool(data.get("from_cart")):
            raise ValidationError("give either items or from_cart: true", "items")


class OrderLine(Schema):
    id = fields.String()
    sku_code = fields.String()
    sku_name = fields.String()
    solution_id = fields.String()
    solution_name = fields.String()
    region = fields.String()
    unit_price_minor = fields.Integer()
    quantity = fields.Integer()
    amount_minor = fields.Integer()
    tax_rate_bp = fields.Integer()
    params = fields.Dict()


class Milestone(Schema):
    status = fields.String()
    note = fields.String(allow_none=True)
    at = UtcDateTime()


class PaymentOut(Schema):
    id = fields.String()
    method = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    status = fields.String()
    transfer = fields.Dict(allow_none=True)
    provider_ref = fields.String(allow_none=True)
    created_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)


class Order(Schema):
    id = fields.String()
    order_no = fields.String()
    contract_no = fields.String()
    status = fields.String()
    payment_method = fields.String()
    payment_status = fields.String()
    currency = fields.String()
    subtotal_minor = fields.Integer()
    coupon_minor = fields.Integer()
    rebate_minor = fields.Integer()
    total_minor = fields.Integer()
    tax_minor = fields.Integer()
    customer_id = fields.String()
    customer = fields.Dict()
    reseller_id = fields.String()
    dealer_org_id = fields.String(allow_none=True)
    salesperson = fields.String(attribute="buyer_email", allow_none=True)
    expected_close_date = fields.Date(allow_none=True)
    remark = fields.String(allow_none=True)
    invoice = fields.Dict(allow_none=True)
    created_at = UtcDateTime()
    paid_at = UtcDateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLine))


class OrderDetails(Order):
    channel = fields.Dict()
    milestones = fields.List(fields.Nested(Milestone))
    payments = fields.List(fields.Nested(PaymentOut))


OrderPage = Schema.from_dict(page_schema_fields(Order), name="OrderPage")


class OrderQuery(PageArgs):
    q = text_field(100, metadata={"description": "order number, customer name or company, or salesperson email"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class InvoiceRequest(Schema):
    title = name_field(200, required=True, metadata={"description": "invoice title (company name)"})
    tax_id = text_field(20, allow_none=True)
    email = email_field(required=True)
    kind = fields.String(load_default="normal", validate=validate.OneOf(["normal", "special"]))


class MilestoneInput(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["delivered", "completed"]))
    note = text_field(300, allow_none=True)


class Transfer(Schema):
    payer_name = name_field(200, required=True)
    payer_account = name_field(64, required=True)
    paid_on = fields.Date(required=True)
    reference = text_field(120, allow_none=True)


class PaymentInput(Schema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    transfer = fields.Nested(Transfer, allow_none=True)
    verification_code = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"), allow_none=True)


class PaymentStarted(Schema):
    payment_id = fields.String()
    status = fields.String()
    redirect_url = fields.String(allow_none=True)


class SandboxOutcome(Schema):
    outcome = fields.String(load_default="success", validate=validate.OneOf(["success", "failure"]))


class SandboxResult(Schema):
    payment_id = fields.String()
    outcome = fields.String()
    callback = fields.String(metadata={"description": "`queued`: the provider's signed callback follows (the worker sends it)"})


class ProviderNotification(Schema):
    payment_id = name_field(36, required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(["success", "failure"]))
    amount_minor = money_field(required=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    provider_ref = text_field(80, allow_none=True)


class CallbackResult(Schema):
    payment_id = fields.String()
    status = fields.String()


class TransferReview(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["confirm", "reject"]))
    comment = text_field(300, allow_none=True)


PAYMENT_STATUSES = ("pending", "awaiting_confirmation", "succeeded", "failed", "rejected", "refund_due", "refunded")


class PaymentQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    reseller_id = fields.String(validate=validate.Length(max=64))


class RefundRecord(Schema):
    id = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    channel = fields.String(metadata={"description": "provider (online payments) or bank_transfer"})
    refund_ref = fields.String()
    reason = fields.String()
    refunded_by = fields.String(allow_none=True)
    created_at = UtcDateTime()


class PaymentRecord(Schema):
    id = fields.String()
    reseller_id = fields.String()
    order_id = fields.String(allow_none=True)
    bill_id = fields.String(allow_none=True)
    method = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(PAYMENT_STATUSES)})
    provider_ref = fields.String(allow_none=True)
    created_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)
    refund = fields.Nested(RefundRecord, allow_none=True)


PaymentPage = Schema.from_dict(page_schema_fields(PaymentRecord), name="PaymentPage")


class RefundInput(Schema):
    reason = name_field(300, required=True)
    reference = name_field(120, metadata={"description": "the bank transfer's reference (bank transfers only)"})
