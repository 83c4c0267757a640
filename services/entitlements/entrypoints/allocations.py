"""Allocation of seat lines to enterprises and its results: `/entitlements/v1/allocations`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant
from services.entitlements.entrypoints.schemas import AllocationIn, AllocationListArgs, AllocationPage, AllocationResultOut
from services.entitlements.service_layer import allocations as handlers
from shared.auth import require
from shared.web import db, page_of, uow

blp = Blueprint("allocations", __name__, url_prefix="/entitlements/v1/allocations", description="Seat allocations")


@blp.route("")
class Allocations(MethodView):
    @require("tenant_admin")
    @blp.arguments(AllocationIn)
    @blp.response(201, AllocationResultOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Allocate one seat of an order line to each enterprise (all or nothing)"""
        return handlers.allocate(uow(), tenant_id=caller_tenant(), **body)

    @require("tenant_admin")
    @blp.arguments(AllocationListArgs, location="query")
    @blp.response(200, AllocationPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Allocation results (by order line, product or enterprise)"""
        query = handlers.allocations_query(caller_tenant(), order_line_id=args["order_line_id"],
                                           product_code=args["product_code"], enterprise_id=args["enterprise_id"],
                                           enterprise_ids=args.get("enterprise_ids"))
        page = page_of(db(), query, args["page"], args["page_size"])
        return {**page, "items": [handlers.allocation_view(row._mapping) for row in page["items"]]}
