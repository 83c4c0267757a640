"""Change requests and their review: `/entitlements/v1/change-requests`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant, tenant_scope
from services.entitlements.entrypoints.schemas import ChangeRequestIn, ChangeRequestListArgs, ChangeRequestOut, ChangeRequestPage, ReviewIn
from services.entitlements.service_layer import change_requests as handlers
from shared.auth import PLATFORM_STAFF, current_principal, require
from shared.errors import Problem
from shared.web import db, page_of, uow

blp = Blueprint("change_requests", __name__, url_prefix="/entitlements/v1/change-requests",
                description="Tax-ID replacement, enterprise move, tenant merge")


@blp.route("")
class ChangeRequests(MethodView):
    @require("tenant_admin")
    @blp.arguments(ChangeRequestIn)
    @blp.response(201, ChangeRequestOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Submit a change request with a reason"""
        kind, reason = body.pop("kind"), body.pop("reason")
        return handlers.submit(uow(), tenant_id=caller_tenant(), kind=kind, details=body, reason=reason)

    @require("tenant_admin", *PLATFORM_STAFF)
    @blp.arguments(ChangeRequestListArgs, location="query")
    @blp.response(200, ChangeRequestPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List change requests (the tenant's own; staff: all)"""
        query = handlers.requests_query(tenant_scope(current_principal()), args["status"])
        page = page_of(db(), query, args["page"], args["page_size"])
        return {**page, "items": [handlers.request_view(row._mapping) for row in page["items"]]}


@blp.route("/<request_id>")
class ChangeRequest(MethodView):
    @require("tenant_admin", *PLATFORM_STAFF)
    @blp.response(200, ChangeRequestOut)
    def get(self, request_id: str) -> dict[str, Any]:
        """One change request"""
        return handlers.request_view(handlers.get_request(db(), request_id, tenant_scope(current_principal()))._mapping)


@blp.route("/<request_id>/review")
class ChangeRequestReview(MethodView):
    @require("platform_admin", "support", "sales")
    @blp.arguments(ReviewIn)
    @blp.response(200, ChangeRequestOut)
    def post(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        """Approve (rights move) or reject a change request (platform staff)"""
        if not current_principal().is_platform_staff:
            raise Problem(403, "forbidden", "platform staff only")
        return handlers.review(uow(), request_id=request_id, **body)
