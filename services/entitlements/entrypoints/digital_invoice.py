"""数电 info of the tenant: `/entitlements/v1/digital-invoice-info` and its QR code."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant, policy
from services.entitlements.entrypoints.schemas import DigitalInvoiceOut
from services.entitlements.service_layer import digital_invoice as handlers
from shared.auth import require
from shared.errors import Problem
from shared.web import db, uow

blp = Blueprint("digital_invoice", __name__, url_prefix="/entitlements/v1/digital-invoice-info",
                description="数电 activation code and QR code")


def _current() -> Any:
    info = handlers.current_info(db(), caller_tenant())
    if info is None:
        raise Problem(404, "not_found", "no 数电 info has been issued yet; POST to issue it")
    return info


@blp.route("")
class DigitalInvoiceInfo(MethodView):
    @require("tenant_admin")
    @blp.response(200, DigitalInvoiceOut)
    def get(self) -> dict[str, Any]:
        """The current 数电 activation code and its validity"""
        return handlers.info_view(_current()._mapping, uow().clock.today())

    @require("tenant_admin")
    @blp.response(201, DigitalInvoiceOut)
    def post(self) -> dict[str, Any]:
        """Issue the 数电 info, or update it once expired (409 while still valid)"""
        return handlers.issue_info(uow(), caller_tenant(), policy().digital_invoice_validity_days)


@blp.route("/qr.png")
class DigitalInvoiceQrCode(MethodView):
    @require("tenant_admin")
    @blp.response(200, content_type="image/png")
    def get(self) -> Response:
        """The current activation code as a QR code (PNG)"""
        return Response(handlers.qr_png(_current().activation_code), mimetype="image/png")
