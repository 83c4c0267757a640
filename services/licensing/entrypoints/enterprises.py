"""Enterprises imported into the ERP instance: import, the license list per service group, capabilities."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.licensing.adapters.repository import StoredLicense
from services.licensing.domain.model import SyncStatus
from services.licensing.entrypoints.schemas import (
    CapabilitiesSchema,
    EnterpriseArgs,
    EnterpriseBatchArgs,
    ImportedEnterpriseSchema,
    ImportResultsSchema,
    LicenseListArgs,
    LicensePageSchema,
    shown_sync_status,
)
from services.licensing.entrypoints.tenancy import tenant_id
from services.licensing.service_layer import erp, views
from shared.auth import current_principal, require
from shared.errors import Problem, conflict, not_found
from shared.web import current_context, db, uow

blp = Blueprint("enterprises", __name__, url_prefix="/licensing/v1/enterprises", description="Imported enterprises and their licenses")


def license_item(stored: StoredLicense, today: date) -> dict[str, Any]:
    lic = stored.license
    return {
        "tax_id": lic.tax_id,
        "name": stored.enterprise_name,
        "service_group": lic.service_group,
        "authorization_status": lic.authorization_status,
        "authorized_at": lic.authorized_at,
        "authorized_by": lic.authorized_by,
        "authorized_by_name": lic.authorized_by_name,
        "sync_status": shown_sync_status(lic.sync_status),
        "sync_pending": lic.sync_status is SyncStatus.PENDING,
        "sync_action": lic.sync_action,
        "sync_error": lic.sync_error,
        "valid_from": lic.valid_from,
        "valid_to": lic.valid_to,
        "cancelled_at": lic.cancelled_at,
        "reauthorizable_on": lic.locked_until(today),
    }


@blp.route("")
class EnterprisesView(MethodView):
    @require("tenant_admin")
    @blp.arguments(LicenseListArgs, location="query")
    @blp.response(200, LicensePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the enterprises' licenses in one service group, with its (A/AA) counts"""
        today = current_context().clock.today()
        found = views.license_page(
            db(),
            tenant_id(),
            args["service_group"],
            today,
            status=args["authorization_status"],
            search=args["q"],
            page=args["page"],
            page_size=args["page_size"],
        )
        return {**found, "items": [license_item(stored, today) for stored in found["items"]]}

    @require("tenant_admin")
    @blp.arguments(EnterpriseArgs)
    @blp.response(201, ImportedEnterpriseSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Import an enterprise into the ERP instance"""
        [result] = erp.import_enterprises(uow(), tenant_id(), [(args["tax_id"], args["name"])])
        if not result.ok:
            raise conflict("enterprise_already_imported", "this tax ID is already imported", tax_id=args["tax_id"])
        return args


@blp.route("/batch")
class EnterpriseBatchView(MethodView):
    @require("tenant_admin")
    @blp.arguments(EnterpriseBatchArgs)
    @blp.response(200, ImportResultsSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Import several enterprises; one already imported is reported and the rest go on"""
        pairs = [(item["tax_id"], item["name"]) for item in args["enterprises"]]
        return {"results": erp.import_enterprises(uow(), tenant_id(), pairs)}


@blp.route("/<string:tax_id>/capabilities")
class CapabilitiesView(MethodView):
    @require("tenant_admin", "api_client", clients=True)
    @blp.response(200, CapabilitiesSchema)
    def get(self, tax_id: str) -> Any:
        """Whether the enterprise may issue and receive invoices now"""
        principal = current_principal()
        if principal.kind == "client" and principal.tax_id != tax_id:
            raise not_found("enterprise")
        if not principal.org_id:
            raise Problem(403, "forbidden", "the token names no tenant")
        found = views.capabilities(db(), principal.org_id, tax_id, current_context().clock.today())
        if found is None:
            raise not_found("enterprise")
        return found
