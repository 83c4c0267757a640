"""Extension config (package bindings per device or per device type) and value-added packages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import CATALOG_KEEPERS, EVERYONE, STAFF, caller, export_response, session_for_export
from services.billing.service_layer import devices
from shared.auth import require
from shared.web import current_context, db, page_of, uow

bindings = Blueprint("bindings", __name__, url_prefix="/billing/v1/bindings", description="Package bindings of devices")
value_added = Blueprint("value_added", __name__, url_prefix="/billing/v1/value-added", description="Value-added packages on devices")

BINDING_HEADER = ["device_id", "company_id", "type", "expires_on", "status", "package_code"]


@bindings.route("")
class Bindings(MethodView):
    @require(*CATALOG_KEEPERS)
    @bindings.arguments(schemas.BindingIn)
    @bindings.response(201, schemas.BindingResult)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Bind a renewal package to listed devices of a company, or to all its devices of `device_type`."""
        bound = devices.bind_package(
            uow(), caller(), body["company_id"], body["package_code"], body.get("device_ids"), body.get("device_type")
        )
        return {"company_id": body["company_id"], "package_code": body["package_code"], "device_ids": bound}

    @require(*STAFF)
    @bindings.arguments(schemas.DeviceArgs, location="query")
    @bindings.response(200, schemas.page_schema(schemas.Device, "BindingPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Bound (`bound=true`) and unbound (`bound=false`) devices of a company."""
        return page_of(db(), devices.device_query(db(), caller(), args, _today()), args["page"], args["page_size"])


@bindings.route("/remove")
class BindingRemoval(MethodView):
    @require(*CATALOG_KEEPERS)
    @bindings.arguments(schemas.DeviceBatch)
    @bindings.response(200, schemas.BindingResult)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Remove the package binding of the listed devices."""
        return {"company_id": None, "package_code": None, "device_ids": devices.unbind_package(uow(), caller(), body["device_ids"])}


@bindings.route("/export")
class BindingExport(MethodView):
    @require(*STAFF)
    @bindings.arguments(schemas.DeviceExportArgs, location="query")
    @bindings.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """Export bound and unbound devices as CSV or XLSX."""
        session = session_for_export()
        query = devices.device_query(session, caller(), args, _today())
        rows = (
            [r.device_id, r.company_id, r.type, r.expires_on.isoformat(), r.status, r.package_code or ""]
            for r in session.execute(query.execution_options(yield_per=2000))
        )
        return export_response(args["format"], "bindings", BINDING_HEADER, rows, session)


@value_added.route("")
class ValueAdded(MethodView):
    @require(*CATALOG_KEEPERS)
    @value_added.arguments(schemas.ValueAddedIn)
    @value_added.response(201, schemas.ValueAddedResult)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a value-added package to bound devices; creates a value-added order for the company to pay."""
        return devices.add_value_added(uow(), caller(), body["company_id"], body["package_code"], body["device_ids"])

    @require(*EVERYONE)
    @value_added.arguments(schemas.CompanyScopeArgs, location="query")
    @value_added.response(200, schemas.page_schema(schemas.ValueAdded, "ValueAddedPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Value-added packages of devices in scope."""
        query = devices.value_added_query(db(), caller(), args.get("company_id"), args["scope"])
        return page_of(db(), query, args["page"], args["page_size"])


def _today() -> date:
    return current_context().clock.today()
