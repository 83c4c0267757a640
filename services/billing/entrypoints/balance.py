"""Balances per currency, their ledger, and online top-ups."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import CUSTOMER, caller, company_of_request, customer_company, payment_provider
from services.billing.service_layer import ledger, payments
from services.billing.service_layer.companies import require_in_scope
from shared.auth import require
from shared.idempotency import idempotent
from shared.web import db, page_of, uow

balance = Blueprint("balance", __name__, url_prefix="/billing/v1/balance", description="Balances per currency")
topups = Blueprint("topups", __name__, url_prefix="/billing/v1/topups", description="Online top-ups")

BALANCE_READERS = (CUSTOMER, "finance", "sales", "platform_admin")


@balance.route("")
class Balance(MethodView):
    @require(*BALANCE_READERS)
    @balance.arguments(schemas.BalanceArgs, location="query")
    @balance.response(200, schemas.Balances)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The company's balance in each currency (staff name the company with `company_id`)."""
        who = caller()
        company_id = company_of_request(who, args.get("company_id"))
        require_in_scope(db(), who, company_id, "company")
        return {"company_id": company_id, "balances": ledger.balances_of(db(), company_id)}


@balance.route("/entries")
class BalanceEntries(MethodView):
    @require(*BALANCE_READERS)
    @balance.arguments(schemas.LedgerArgs, location="query")
    @balance.response(200, schemas.page_schema(schemas.LedgerEntry, "LedgerPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The ledger behind the balance: top-ups, payments and refunds, newest first."""
        who = caller()
        company_id = company_of_request(who, args.get("company_id"))
        require_in_scope(db(), who, company_id, "company")
        return page_of(db(), ledger.entries_query(company_id, args.get("currency")), args["page"], args["page_size"])


@topups.route("")
class Topups(MethodView):
    @idempotent
    @require(CUSTOMER)
    @topups.arguments(schemas.TopupIn)
    @topups.response(201, schemas.PaymentStarted)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Top up the balance online: a top-up order paid through WeChat Pay, Alipay (CNY) or PayPal (USD)."""
        who = caller()
        customer_company(who)
        return payments.start_topup(uow(), who, body["amount_minor"], body["currency"], body["method"], payment_provider())
