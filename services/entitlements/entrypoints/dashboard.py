"""The tenant dashboard (seed 000) and its drill-downs: `/entitlements/v1/dashboard`, `/entitlements/v1/expiring-lines`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant
from services.entitlements.entrypoints.schemas import DashboardOut, ExpiringArgs, ExpiringPage
from services.entitlements.service_layer import dashboard as handlers
from shared.auth import require
from shared.web import db, page_of, uow

blp = Blueprint("dashboard", __name__, url_prefix="/entitlements/v1", description="Tenant dashboard")


@blp.route("/dashboard")
class Dashboard(MethodView):
    @require("tenant_admin")
    @blp.response(200, DashboardOut)
    def get(self) -> dict[str, Any]:
        """Everything of seed 000's tenant dashboard in one call (first pages; drill down for more)"""
        return handlers.dashboard(db(), caller_tenant(), uow().clock.today())


@blp.route("/expiring-lines")
class ExpiringLines(MethodView):
    @require("tenant_admin")
    @blp.arguments(ExpiringArgs, location="query")
    @blp.response(200, ExpiringPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Lines ending within 30, 60 or 90 days, or expired, with their serial numbers"""
        today = uow().clock.today()
        query = handlers.expiring_lines_query(caller_tenant(), today, args["window"])
        page = page_of(db(), query, args["page"], args["page_size"])
        return {**page, "items": handlers.with_enterprises(db(), [handlers.expiring_line_view(row._mapping, today)
                                                                  for row in page["items"]])}
