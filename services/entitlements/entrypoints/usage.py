"""Traffic consumption, its ledger and daily totals: `/entitlements/v1/usage`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant, client_tax_id
from services.entitlements.entrypoints.schemas import (
    DailyPage,
    LedgerPage,
    UsageBatchIn,
    UsageBatchOut,
    UsageIn,
    UsageListArgs,
    UsageOut,
)
from services.entitlements.service_layer import usage as handlers
from services.entitlements.service_layer.dashboard import daily_view
from shared.auth import current_principal, require
from shared.idempotency import idempotent
from shared.web import db, page_of, uow

blp = Blueprint("usage", __name__, url_prefix="/entitlements/v1/usage", description="Traffic consumption")

CONSUMERS = ("tenant_admin", "api_client")


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    return {"product_code": args["product_code"], "tax_id": args["tax_id"], "day_from": args["from_"], "day_to": args["to"]}


@blp.route("")
class Usage(MethodView):
    @idempotent
    @require(*CONSUMERS, clients=True)
    @blp.arguments(UsageIn)
    @blp.response(201, UsageOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Consume traffic from the tenant's pool (Idempotency-Key honoured)"""
        return handlers.consume(uow(), tenant_id=caller_tenant(), product_code=body["product_code"], tax_id=body["tax_id"],
                                uses=body["units"], reference=body["reference"], client_tax_id=client_tax_id(current_principal()))

    @require("tenant_admin")
    @blp.arguments(UsageListArgs, location="query")
    @blp.response(200, LedgerPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The usage ledger, newest first"""
        page = page_of(db(), handlers.ledger_query(caller_tenant(), **_filters(args)), args["page"], args["page_size"])
        return {**page, "items": [dict(row._mapping) for row in page["items"]]}


@blp.route("/batch")
class UsageBatch(MethodView):
    @idempotent
    @require(*CONSUMERS, clients=True)
    @blp.arguments(UsageBatchIn)
    @blp.response(200, UsageBatchOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Consume up to 1,000 items at once, each accepted or refused on its own"""
        return handlers.consume_batch(uow(), tenant_id=caller_tenant(), items=body["items"],
                                      client_tax_id=client_tax_id(current_principal()))


@blp.route("/daily")
class DailyTotals(MethodView):
    @require("tenant_admin")
    @blp.arguments(UsageListArgs, location="query")
    @blp.response(200, DailyPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Daily consumption totals per product and tax ID"""
        page = page_of(db(), handlers.daily_query(caller_tenant(), **_filters(args)), args["page"], args["page_size"])
        return {**page, "items": [daily_view(row._mapping) for row in page["items"]]}
