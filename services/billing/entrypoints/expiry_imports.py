"""Expiry maintenance in bulk: the XLSX template, uploads that become background import jobs, and
their progress with the per-row report."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.adapters import spreadsheets
from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import caller
from services.billing.service_layer import expiry_imports
from shared.auth import require
from shared.errors import Problem
from shared.web import db, uow

blp = Blueprint("expiry_imports", __name__, url_prefix="/billing/v1/devices", description="Bulk expiry maintenance")

IMPORTERS = ("sales", "support", "platform_admin")


@blp.route("/expiry-template")
class ExpiryTemplate(MethodView):
    @require(*IMPORTERS)
    @blp.response(200, content_type=spreadsheets.XLSX_MIMETYPE)
    def get(self) -> Response:
        """The XLSX template: columns device_id, expires_on (YYYY-MM-DD or a date cell)."""
        response = Response(spreadsheets.expiry_template(), mimetype=spreadsheets.XLSX_MIMETYPE)
        response.headers["Content-Disposition"] = 'attachment; filename="expiry-template.xlsx"'
        return response


@blp.route("/expiry-imports")
class ExpiryImports(MethodView):
    @require(*IMPORTERS)
    @blp.arguments(schemas.ExpiryImportForm, location="form")
    @blp.response(202, schemas.ExpiryImport)
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Upload a filled template (multipart `file`; optional `company_id` + `scope` reject other companies' devices)."""
        upload = request.files.get("file")
        if upload is None:
            raise Problem(422, "validation_failed", "attach the sheet as multipart field `file`", errors={"file": ["required"]})
        content = upload.read()
        try:
            spreadsheets.check_expiry_sheet(content)
        except spreadsheets.UnreadableSheet as unreadable:
            raise Problem(422, unreadable.code, str(unreadable), errors={"file": [str(unreadable)]}) from None
        return expiry_imports.submit_import(
            uow(), caller(), upload.filename or "import.xlsx", content, form.get("company_id"), form["scope"]
        )


@blp.route("/expiry-imports/<import_id>")
class ExpiryImportById(MethodView):
    @require(*IMPORTERS)
    @blp.response(200, schemas.ExpiryImport)
    def get(self, import_id: str) -> dict[str, Any]:
        """Progress (processed / total rows, percent) and the report of rejected rows."""
        return expiry_imports.progress(db(), import_id, caller())
