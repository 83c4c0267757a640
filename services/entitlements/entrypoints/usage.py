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
    UsageListArgs,
    UsageOut,
    UsageRequestIn,
)
from services.entitlements.service_layer import usage as handlers
from services.entitlements.service_layer.dashboard import daily_view
from shared.auth import current_principal, require
from shared.errors import validation
from shared.idempotency import idempotent
from shared.web import db, page_of, uow

blp = Blueprint("usage", __name__, url_prefix="/entitlements/v1/usage", description="Traffic consumption")

CONSUMERS = ("tenant_admin", "api_client")


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    return {"product_code": args["product_code"], "tax_id": args["tax_id"], "day_from": args["from_"], "day_to": args["to"]}


def _drawing_party(body: dict[str, Any]) -> tuple[str, str | None]:
    """The tenant whose pool is drawn and the tax ID drawn for.

    A platform service (the notifier's SMS) names the tenant it acts for in `tenant_id` and may leave
    out `tax_id` (tenant-level traffic); everyone else draws from their own tenant for a tax ID."""
    if current_principal().is_service:
        if not body["tenant_id"]:
            raise validation({"tenant_id": ["a service names the tenant it draws for"]})
        return body["tenant_id"], body["tax_id"]
    problems = {}
    if body["tenant_id"] is not None:
        problems["tenant_id"] = ["only platform services name the tenant"]
    if body["tax_id"] is None:
        problems["tax_id"] = ["Missing data for required field."]
    if problems:
        raise validation(problems)
    return caller_tenant(), body["tax_id"]


@blp.route("")
class Usage(MethodView):
    @idempotent
    @require(*CONSUMERS, clients=True, services=True)
    @blp.arguments(UsageRequestIn)
    @blp.response(201, UsageOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Consume traffic from the tenant's pool (Idempotency-Key honoured)

        Tenant admins and API clients draw from their own tenant for one of its tax IDs; a platform
        service (role `service`) names the tenant in `tenant_id` and may omit `tax_id` for
        tenant-level traffic such as SMS.
        """
        tenant_id, tax_id = _drawing_party(body)
        return handlers.consume(uow(), tenant_id=tenant_id, product_code=body["product_code"], tax_id=tax_id,
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
