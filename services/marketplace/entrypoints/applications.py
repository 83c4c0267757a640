"""Reseller applications: submitted without login (multipart with files), reviewed once by platform staff."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.marketplace.adapters.orm import reseller_applications, stored_files
from services.marketplace.entrypoints.access import REVIEW_STAFF, file_store, staff_only, uploads
from services.marketplace.entrypoints.schemas.resellers import (
    Application,
    ApplicationFiles,
    ApplicationForm,
    ApplicationPage,
    ApplicationQuery,
    Review,
)
from services.marketplace.service_layer import applications
from services.marketplace.service_layer.common import one_or_404
from shared.web import db, page_of, uow

blp = Blueprint("reseller_applications", __name__, url_prefix="/marketplace/v1/reseller-applications",
                description="Reseller registration (入驻申请) and its review")


def _application(application_id: str) -> dict[str, Any]:
    unit = uow()
    row = one_or_404(unit.session, select(reseller_applications).where(reseller_applications.c.id == application_id), "application")
    return {**row._mapping, "files": applications.application_files(unit, application_id)}


@blp.route("")
class Applications(MethodView):
    @blp.arguments(ApplicationForm, location="form")
    @blp.arguments(ApplicationFiles, location="files")
    @blp.response(201, Application)
    def post(self, form: dict[str, Any], _files: dict[str, Any]) -> dict[str, Any]:
        """Submit a reseller application with qualification files (no login)"""
        application_id = applications.submit_application(uow(), file_store(), form, uploads("files"))
        return _application(application_id)

    @staff_only(*REVIEW_STAFF)
    @blp.arguments(ApplicationQuery, location="query")
    @blp.response(200, ApplicationPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List applications (platform staff)"""
        query = select(reseller_applications).order_by(reseller_applications.c.created_at.desc(), reseller_applications.c.id)
        if args.get("status"):
            query = query.where(reseller_applications.c.status == args["status"])
        return page_of(db(), query, args["page"], args["page_size"])


@blp.route("/<application_id>")
class ApplicationDetails(MethodView):
    @staff_only(*REVIEW_STAFF)
    @blp.response(200, Application)
    def get(self, application_id: str) -> dict[str, Any]:
        """An application with its files (platform staff)"""
        return _application(application_id)


@blp.route("/<application_id>/review")
class ApplicationReview(MethodView):
    @staff_only(*REVIEW_STAFF)
    @blp.arguments(Review)
    @blp.response(200, Application)
    def post(self, review: dict[str, Any], application_id: str) -> dict[str, Any]:
        """Approve or reject an application, once (a second review is 409)"""
        applications.review_application(uow(), application_id, review["decision"], review.get("comment"), review["tier"])
        return _application(application_id)


@blp.route("/<application_id>/files/<file_id>")
class ApplicationFile(MethodView):
    @staff_only(*REVIEW_STAFF)
    @blp.response(200)
    def get(self, application_id: str, file_id: str) -> Response:
        """Download a qualification file (platform staff)"""
        row = one_or_404(db(), select(stored_files).where(
            stored_files.c.id == file_id, stored_files.c.owner_type == "reseller_application",
            stored_files.c.owner_id == application_id), "file")
        disposition = f"attachment; filename={row.kind}-{row.id}.{row.kind}"
        return Response(file_store().read(row.storage_path), mimetype=row.media_type,
                        headers={"X-Content-SHA256": row.sha256, "Content-Disposition": disposition})
