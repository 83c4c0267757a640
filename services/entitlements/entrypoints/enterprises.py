"""Enterprises of a tenant by tax ID: `/entitlements/v1/enterprises`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant, registration_lookup
from services.entitlements.entrypoints.schemas import EnterpriseIn, EnterpriseListArgs, EnterpriseOut, EnterprisePage
from services.entitlements.service_layer import enterprises as handlers
from shared.auth import require
from shared.web import db, page_of, uow

blp = Blueprint("enterprises", __name__, url_prefix="/entitlements/v1/enterprises", description="Enterprises by tax ID")


@blp.route("")
class Enterprises(MethodView):
    @require("tenant_admin")
    @blp.arguments(EnterpriseIn)
    @blp.response(201, EnterpriseOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add an enterprise (tax ID validated; registration details looked up)"""
        return handlers.add_enterprise(uow(), registration_lookup(), tenant_id=caller_tenant(), **body)

    @require("tenant_admin")
    @blp.arguments(EnterpriseListArgs, location="query")
    @blp.response(200, EnterprisePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the tenant's enterprises (?q= searches name and tax ID)"""
        query = handlers.enterprises_query(caller_tenant(), args["tax_id"], args["q"])
        page = page_of(db(), query, args["page"], args["page_size"])
        return {**page, "items": [handlers.enterprise_view(row._mapping) for row in page["items"]]}


@blp.route("/<enterprise_id>")
class Enterprise(MethodView):
    @require("tenant_admin")
    @blp.response(200, EnterpriseOut)
    def get(self, enterprise_id: str) -> dict[str, Any]:
        """One enterprise"""
        return handlers.get_enterprise(db(), enterprise_id, caller_tenant())
