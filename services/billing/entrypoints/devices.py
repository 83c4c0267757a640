"""Devices: registration, the active / expiring / expired / deactivated views, batch deactivation and
reactivation, expiry maintenance by support, and exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.domain.devices import expiry_state
from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import (
    CATALOG_KEEPERS,
    CUSTOMER,
    DEVICE_KEEPERS,
    EVERYONE,
    caller,
    export_response,
    session_for_export,
)
from services.billing.service_layer import devices
from shared.auth import require
from shared.web import current_context, db, page_of, uow

blp = Blueprint("devices", __name__, url_prefix="/billing/v1/devices", description="Devices and their expiry")

EXPORT_HEADER = ["device_id", "company_id", "type", "status", "expiry_state", "expires_on", "package_code"]


def with_expiry_state(row: Any, today: date) -> dict[str, Any]:
    device = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    device["expiry_state"] = expiry_state(device["expires_on"], today)
    return device


@blp.route("")
class Devices(MethodView):
    @require(*DEVICE_KEEPERS)
    @blp.arguments(schemas.DeviceIn)
    @blp.response(201, schemas.Device)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a device of a known company (422 `unknown_company` otherwise)."""
        return with_expiry_state(devices.register_device(uow(), body), current_context().clock.today())

    @require(*EVERYONE)
    @blp.arguments(schemas.DeviceArgs, location="query")
    @blp.response(200, schemas.page_schema(schemas.Device, "DevicePage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List devices in scope; `status` is a view: active, expiring (≤ 30 days), expired, deactivated."""
        today = current_context().clock.today()
        page = page_of(db(), devices.device_query(db(), caller(), args, today), args["page"], args["page_size"])
        page["items"] = [with_expiry_state(r, today) for r in page["items"]]
        return page


@blp.route("/export")
class DeviceExport(MethodView):
    @require(*EVERYONE)
    @blp.arguments(schemas.DeviceExportArgs, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """Export the devices of a view as CSV or XLSX (bound and unbound, with their packages)."""
        today = current_context().clock.today()
        session = session_for_export()
        query = devices.device_query(session, caller(), args, today)
        rows = (
            [r.device_id, r.company_id, r.type, r.status, expiry_state(r.expires_on, today), r.expires_on.isoformat(), r.package_code or ""]
            for r in session.execute(query.execution_options(yield_per=2000))
        )
        return export_response(args["format"], "devices", EXPORT_HEADER, rows, session)


@blp.route("/deactivate")
class Deactivation(MethodView):
    @require(CUSTOMER, *CATALOG_KEEPERS)
    @blp.arguments(schemas.DeviceBatch)
    @blp.response(200, schemas.BatchResult)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Deactivate one or many devices (all must be in scope, or nothing changes)."""
        return devices.set_active(uow(), caller(), body["device_ids"], active=False)


@blp.route("/reactivate")
class Reactivation(MethodView):
    @require(CUSTOMER, *CATALOG_KEEPERS)
    @blp.arguments(schemas.DeviceBatch)
    @blp.response(200, schemas.BatchResult)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Reactivate one or many deactivated devices."""
        return devices.set_active(uow(), caller(), body["device_ids"], active=True)


@blp.route("/<device_id>")
class DeviceById(MethodView):
    @require(*EVERYONE)
    @blp.response(200, schemas.Device)
    def get(self, device_id: str) -> dict[str, Any]:
        """One device in scope."""
        row = devices.visible_devices(db(), caller(), [device_id])[0]
        return with_expiry_state(row, current_context().clock.today())


@blp.route("/<device_id>/expiry")
class DeviceExpiry(MethodView):
    @require(*CATALOG_KEEPERS)
    @blp.arguments(schemas.ExpiryIn)
    @blp.response(200, schemas.Device)
    def put(self, body: dict[str, Any], device_id: str) -> dict[str, Any]:
        """Set a device's expiry date (support staff; audited with the old and new date)."""
        device = devices.change_expiry(uow(), caller(), device_id, body["expires_on"])
        return with_expiry_state(device, current_context().clock.today())
