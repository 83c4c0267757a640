"""Enterprises of a tenant by tax ID: `/entitlements/v1/enterprises`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant, registration_lookup
from services.entitlements.entrypoints.schemas import (
    EnterpriseIn,
    EnterpriseListArgs,
    EnterpriseOut,
    EnterprisePage,
    RegistrationLookupOut,
)
from services.entitlements.service_layer import enterprises as handlers
from shared.auth import require
from shared.web import db, page_of, uow

blp = Blueprint("enterprises", __name__, url_prefix="/entitlements/v1/enterprises", description="Enterprises by tax ID")
registrations = Blueprint("registrations", __name__, url_prefix="/entitlements/v1/registrations",
                          description="Business registration lookup (工商信息)")


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


@registrations.route("/<tax_id>")
class Registration(MethodView):
    @require("tenant_admin")
    @registrations.response(200, RegistrationLookupOut)
    def get(self, tax_id: str) -> dict[str, Any]:
        """Look up a tax ID before adding it: validated, registration details, already bound or not

        422 on `tax_id` for an ID that is not valid (wrong length, characters or check character), as
        adding it would be; `bound` is `own`, `other` (with the other tenant's name masked) or null.
        """
        return handlers.look_up_registration(db(), registration_lookup(), tenant_id=caller_tenant(), tax_id=tax_id[:40])
