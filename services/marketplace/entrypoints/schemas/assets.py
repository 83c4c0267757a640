"""Schemas of coupons, the rebate balance, the credit line and settlement statements."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.marketplace.entrypoints.schemas import (
    MAX_MINOR,
    UtcDateTime,
    currency_field,
    money_field,
    name_field,
    page_schema_fields,
    text_field,
)
from services.marketplace.entrypoints.schemas.sales import Transfer
from shared.web import PageArgs


class CouponInput(Schema):
    reseller_id = name_field(64, required=True)
    name = name_field(100, load_default="coupon")
    amount_minor = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_MINOR))
    currency = currency_field(load_default="CNY")
    min_amount_minor = money_field(load_default=0)
    min_quantity = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=10000))
    solution_ids = fields.List(fields.String(validate=validate.Length(max=36)), load_default=list, validate=validate.Length(max=50))
    region = text_field(60, allow_none=True, load_default=None)
    valid_from = fields.Date(allow_none=True, load_default=None)
    valid_to = fields.Date(allow_none=True, load_default=None)


class Coupon(CouponInput):
    id = fields.String()
    code = fields.String()
    state = fields.String()
    order_id = fields.String(allow_none=True)
    used_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


CouponPage = Schema.from_dict(page_schema_fields(Coupon), name="CouponPage")


class CouponQuery(PageArgs):
    state = fields.String(validate=validate.OneOf(["unused", "used", "expired"]))
    reseller_id = text_field(64, metadata={"description": "platform staff only"})


class RebateBalance(Schema):
    balance_minor = fields.Integer()
    currency = fields.String()
    tier = fields.String()
    rules = fields.Dict(keys=fields.String(), values=fields.Raw())


class LedgerQuery(PageArgs):
    kind = fields.String(validate=validate.Length(max=20))


class RebateEntry(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "reward, spend, refund or adjustment"})
    amount_minor = fields.Integer()
    balance_after_minor = fields.Integer()
    order_id = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why finance adjusted the balance (adjustments)"})
    created_at = UtcDateTime()


RebateEntryPage = Schema.from_dict(page_schema_fields(RebateEntry), name="RebateEntryPage")


class CreditLineInput(Schema):
    limit_minor = money_field(required=True, metadata={"description": "1:1 with the bank guarantee"})
    term_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=365))


class CreditLine(Schema):
    reseller_id = fields.String()
    limit_minor = fields.Integer()
    owed_minor = fields.Integer()
    available_minor = fields.Integer()
    term_days = fields.Integer()
    currency = fields.String()


class OfflineUse(Schema):
    amount_minor = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_MINOR))
    reference = name_field(120, required=True)


class CodeSent(Schema):
    expires_at = UtcDateTime()


class CreditEntry(Schema):
    id = fields.String()
    kind = fields.String()
    amount_minor = fields.Integer()
    available_after_minor = fields.Integer()
    order_id = fields.String(allow_none=True)
    bill_id = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    created_at = UtcDateTime()


CreditEntryPage = Schema.from_dict(page_schema_fields(CreditEntry), name="CreditEntryPage")


class Bill(Schema):
    id = fields.String()
    bill_no = fields.String()
    period = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    amount_minor = fields.Integer()
    repaid_minor = fields.Integer()
    due_date = fields.Date()
    remaining_days = fields.Integer()
    status = fields.String()


BillPage = Schema.from_dict(page_schema_fields(Bill), name="BillPage")


class RepaymentInput(Schema):
    method = fields.String(required=True, validate=validate.OneOf(["online", "offline"]))
    amount_minor = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_MINOR), allow_none=True)
    transfer = fields.Nested(Transfer, allow_none=True)


class StatementLine(Schema):
    order_no = fields.String()
    total_minor = fields.Integer()
    currency = fields.String()
    solutions = fields.String()
    status = fields.String()
    quantity = fields.Integer()
    ordered_at = fields.String()


class Statement(Schema):
    id = fields.String()
    statement_no = fields.String()
    reseller_id = fields.String()
    period = fields.String()
    order_count = fields.Integer()
    solution_count = fields.Integer()
    sales = fields.Dict()
    status = fields.String()
    created_at = UtcDateTime()


class StatementDetails(Statement):
    lines = fields.List(fields.Nested(StatementLine))


StatementPage = Schema.from_dict(page_schema_fields(Statement), name="StatementPage")


PERIOD = validate.Regexp(r"^2[0-9]{3}-(0[1-9]|1[0-2])$", error="a month YYYY-MM between 2000-01 and 2999-12")


class StatementQuery(PageArgs):
    period = fields.String(validate=PERIOD)
    reseller_id = text_field(64, metadata={"description": "platform staff only"})


class StatementRun(Schema):
    period = fields.String(required=True, validate=PERIOD)


class RunResult(Schema):
    created = fields.Integer()


class HalfYearRun(Schema):
    period = fields.String(required=True, validate=validate.Regexp(
        r"^2[0-9]{3}-H[12]$", error="a half-year YYYY-H1 or YYYY-H2 between 2000 and 2999"))


class RebateAdjustment(Schema):
    amount_minor = fields.Integer(strict=True, required=True, validate=[
        validate.Range(min=-MAX_MINOR, max=MAX_MINOR), validate.NoneOf([0], error="an adjustment of 0 changes nothing")],
        metadata={"description": "positive credits the balance, negative debits it (never below zero)"})
    reason = name_field(300, required=True)
