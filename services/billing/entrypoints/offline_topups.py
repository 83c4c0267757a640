"""Offline top-up requests: drafted, edited and submitted by sales, reviewed by finance."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import caller
from services.billing.service_layer import offline_topups
from shared.auth import require
from shared.idempotency import idempotent
from shared.web import db, page_of, uow

blp = Blueprint("offline_topups", __name__, url_prefix="/billing/v1/offline-topups", description="Offline top-up requests")

SALES = ("sales", "platform_admin")
FINANCE = ("finance", "platform_admin")


@blp.route("")
class OfflineTopups(MethodView):
    @require(*SALES)
    @blp.arguments(schemas.OfflineTopupIn)
    @blp.response(201, schemas.OfflineTopupDetail)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Draft an offline top-up request (company, payer, currency, amount, reference)."""
        return offline_topups.draft(uow(), caller(), body)

    @require(*SALES, *FINANCE)
    @blp.arguments(schemas.OfflineTopupArgs, location="query")
    @blp.response(200, schemas.page_schema(schemas.OfflineTopup, "OfflineTopupPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Requests by status (e.g. `submitted` for finance's queue), company, currency, payer/reference (`q`)."""
        return page_of(db(), offline_topups.search(args), args["page"], args["page_size"])


@blp.route("/<topup_id>")
class OfflineTopupById(MethodView):
    @require(*SALES, *FINANCE)
    @blp.response(200, schemas.OfflineTopupDetail)
    def get(self, topup_id: str) -> dict[str, Any]:
        """One request with its full history."""
        return offline_topups.detail(db(), topup_id)

    @require(*SALES, *FINANCE)
    @blp.arguments(schemas.OfflineTopupPatch)
    @blp.response(200, schemas.OfflineTopupDetail)
    def patch(self, body: dict[str, Any], topup_id: str) -> dict[str, Any]:
        """Edit a draft or returned request (each edit makes a new `version`). A submitted request is frozen
        while finance reviews it: 409 `topup_not_editable` (finance returns it to have it changed)."""
        return offline_topups.edit(uow(), caller(), topup_id, body)


@blp.route("/<topup_id>/submit")
class OfflineTopupSubmission(MethodView):
    @require(*SALES)
    @blp.response(200, schemas.OfflineTopupDetail)
    def post(self, topup_id: str) -> dict[str, Any]:
        """Submit a draft (or returned) request for finance review."""
        return offline_topups.submit(uow(), caller(), topup_id)


@blp.route("/<topup_id>/review")
class OfflineTopupReview(MethodView):
    @idempotent
    @require(*FINANCE)
    @blp.arguments(schemas.ReviewIn)
    @blp.response(200, schemas.OfflineTopupDetail)
    def post(self, body: dict[str, Any], topup_id: str) -> dict[str, Any]:
        """Approve (credits the balance once), return for editing, or decline — with a comment.

        `version` is the request's version the reviewer looked at (GET answers it): another version is
        409 `topup_version_mismatch`, so what is approved is what was reviewed, and the amount credited is
        the amount submitted."""
        return offline_topups.review(uow(), caller(), topup_id, body["decision"], body.get("comment"), body["version"])
