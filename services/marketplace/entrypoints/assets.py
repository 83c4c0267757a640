"""A reseller's assets: coupons, rebate balance, credit line with codes, bills and repayments."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.marketplace.domain.coupons import coupon_state
from services.marketplace.domain.tiers import REBATE_RATE_BP
from services.marketplace.entrypoints.access import FINANCE_STAFF, caller_is_staff, current_channel, resellers_only, staff_only
from services.marketplace.entrypoints.schemas.assets import (
    BillPage,
    CodeSent,
    Coupon,
    CouponInput,
    CouponPage,
    CouponQuery,
    CreditEntryPage,
    CreditLine,
    CreditLineInput,
    HalfYearRun,
    LedgerQuery,
    OfflineUse,
    RebateAdjustment,
    RebateBalance,
    RebateEntry,
    RebateEntryPage,
    RepaymentInput,
    RunResult,
    StatementRun,
)
from services.marketplace.entrypoints.schemas.sales import PaymentStarted
from services.marketplace.service_layer import coupons, credit, payments, profiles, rebate
from services.marketplace.service_layer.common import RESELLER_ROLES
from shared.auth import require
from shared.idempotency import idempotent
from shared.web import page_of, uow

blp = Blueprint("assets", __name__, url_prefix="/marketplace/v1", description="Coupons, rebate balance and credit line")
COUPON_STAFF = ("platform_admin", "sales", "finance")


def _coupon(row: Any) -> dict[str, Any]:
    return {**row._mapping, "state": coupon_state(row.order_id is not None, coupons.terms_of(row), uow().clock.today())}


@blp.route("/coupons")
class Coupons(MethodView):
    @staff_only(*COUPON_STAFF)
    @blp.arguments(CouponInput)
    @blp.response(201, Coupon)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Issue a coupon to a reseller (platform staff)"""
        unit = uow()
        coupon_id = coupons.issue_coupon(unit, data)
        return _coupon(coupons.coupon_of_reseller(unit, data["reseller_id"], coupon_id))

    @require(*RESELLER_ROLES, *COUPON_STAFF)
    @blp.arguments(CouponQuery, location="query")
    @blp.response(200, CouponPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Coupons by state: unused, used, expired (yours; staff may filter by reseller)"""
        reseller_id = args.get("reseller_id") if caller_is_staff() else current_channel().reseller_id
        unit = uow()
        page = page_of(unit.session, coupons.coupons_query(reseller_id, args.get("state"), unit.clock.today()),
                       args["page"], args["page_size"])
        return {**page, "items": [_coupon(row) for row in page["items"]]}


@blp.route("/rebate")
class Rebate(MethodView):
    @resellers_only()
    @blp.response(200, RebateBalance)
    def get(self) -> dict[str, Any]:
        """Your rebate balance (可抵扣优惠金额) and the reward rules"""
        unit, reseller_id = uow(), current_channel().reseller_id
        return {
            "balance_minor": rebate.balance_of(unit, reseller_id), "currency": rebate.CURRENCY,
            "tier": profiles.tier_of(unit, reseller_id),
            "rules": {"period": "half-year (credited after 30 June and 31 December)",
                      "rate_percent_of_paid_sales": {tier: bp / 100 for tier, bp in REBATE_RATE_BP.items()},
                      "spending": "at checkout, up to the amount left after the coupon"},
        }


@blp.route("/rebate/entries")
class RebateEntries(MethodView):
    @resellers_only()
    @blp.arguments(LedgerQuery, location="query")
    @blp.response(200, RebateEntryPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The rebate ledger; kind=reward gives the credit history"""
        query = rebate.entries_query(current_channel().reseller_id, args.get("kind"))
        return page_of(uow().session, query, args["page"], args["page_size"])


def _line(reseller_id: str) -> dict[str, Any]:
    line = credit.line_of(uow(), reseller_id)
    return {**line._mapping, "available_minor": line.limit_minor - line.owed_minor}


@blp.route("/credit")
class Credit(MethodView):
    @resellers_only()
    @blp.response(200, CreditLine)
    def get(self) -> dict[str, Any]:
        """Your credit line (账期余额): limit, term, owed and available"""
        return _line(current_channel().reseller_id)


@blp.route("/resellers/<reseller_id>/credit-line")
class CreditLineAdmin(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(CreditLineInput)
    @blp.response(200, CreditLine)
    def put(self, data: dict[str, Any], reseller_id: str) -> dict[str, Any]:
        """Grant or change a reseller's credit line (finance)"""
        credit.set_credit_line(uow(), reseller_id, data["limit_minor"], data["term_days"])
        return _line(reseller_id)


@blp.route("/resellers/<reseller_id>/credit/offline-uses")
class CreditOfflineUse(MethodView):
    @idempotent
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(OfflineUse)
    @blp.response(201, CreditLine)
    def post(self, data: dict[str, Any], reseller_id: str) -> dict[str, Any]:
        """Record an offline use of the credit line; the reseller is mailed (finance)"""
        unit = uow()
        credit.record_offline_use(unit, reseller_id, data["amount_minor"], data["reference"], profiles.contact_email(unit, reseller_id))
        return _line(reseller_id)


@blp.route("/credit/codes")
class CreditCodes(MethodView):
    @resellers_only()
    @blp.response(201, CodeSent)
    def post(self) -> dict[str, Any]:
        """Mail a verification code for paying with credit (valid 10 minutes, one use)"""
        unit, channel = uow(), current_channel()
        email = channel.email or profiles.contact_email(unit, channel.reseller_id)
        return {"expires_at": credit.request_code(unit, channel.reseller_id, channel.user_id, email)}


@blp.route("/credit/entries")
class CreditEntries(MethodView):
    @resellers_only()
    @blp.arguments(LedgerQuery, location="query")
    @blp.response(200, CreditEntryPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The credit ledger (全部明细); kind=repayment gives the repayment records"""
        return page_of(uow().session, credit.entries_query(current_channel().reseller_id, args.get("kind")), args["page"],
                       args["page_size"])


@blp.route("/credit/bills")
class CreditBills(MethodView):
    @resellers_only()
    @blp.arguments(LedgerQuery, location="query")
    @blp.response(200, BillPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Bills per period with due dates and remaining days (已出账单)"""
        unit = uow()
        page = page_of(unit.session, credit.bills_query(current_channel().reseller_id), args["page"], args["page_size"])
        today = unit.clock.today()
        return {**page, "items": [{
            **bill._mapping, "remaining_days": (bill.due_date - today).days,
            "status": "repaid" if bill.repaid_minor >= bill.amount_minor else ("overdue" if today > bill.due_date else "unpaid"),
        } for bill in page["items"]]}


@blp.route("/credit/bills/<bill_id>/repayments")
class BillRepayments(MethodView):
    @idempotent
    @resellers_only()
    @blp.arguments(RepaymentInput)
    @blp.response(201, PaymentStarted)
    def post(self, data: dict[str, Any], bill_id: str) -> dict[str, Any]:
        """Repay a bill online (sandbox) or by bank transfer (confirmed by finance)"""
        return payments.repay_bill(uow(), current_channel(), bill_id, data["method"], data.get("amount_minor"), data.get("transfer"))


@blp.route("/rebate/runs")
class RebateRuns(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(HalfYearRun)
    @blp.response(201, RunResult)
    def post(self, run: dict[str, Any]) -> dict[str, Any]:
        """Credit an ended half-year's rebate rewards now (the job does it after each half-year; finance)"""
        unit = uow()
        created = rebate.reward_period(unit, run["period"])
        unit.audit("rebate.rewards_run", "period", run["period"], {"created": created})
        return {"created": created}


@blp.route("/credit/bills/runs")
class CreditBillRuns(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(StatementRun)
    @blp.response(201, RunResult)
    def post(self, run: dict[str, Any]) -> dict[str, Any]:
        """Issue an ended month's credit bills now (the job does it after each month; finance)"""
        unit = uow()
        created = credit.issue_bills_for(unit, run["period"])
        unit.audit("credit.bills_run", "period", run["period"], {"created": created})
        return {"created": created}


@blp.route("/resellers/<reseller_id>/rebate/adjustments")
class RebateAdjustments(MethodView):
    @idempotent
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(RebateAdjustment)
    @blp.response(201, RebateEntry)
    def post(self, data: dict[str, Any], reseller_id: str) -> Any:
        """Adjust a reseller's rebate balance by hand, with a reason (audited; finance)"""
        return rebate.adjust(uow(), reseller_id, data["amount_minor"], data["reason"])


@blp.route("/resellers/<reseller_id>/rebate/entries")
class ResellerRebateEntries(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(LedgerQuery, location="query")
    @blp.response(200, RebateEntryPage)
    def get(self, args: dict[str, Any], reseller_id: str) -> dict[str, Any]:
        """A reseller's rebate ledger (finance)"""
        return page_of(uow().session, rebate.entries_query(reseller_id, args.get("kind")), args["page"], args["page_size"])
