"""Reviews of solutions, trial requests and consultation tickets."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from services.marketplace.adapters.orm import reviews, tickets
from services.marketplace.entrypoints.access import (
    ANY_STAFF,
    current_channel,
    file_store,
    optional_reseller_id,
    read_upload,
    resellers_only,
)
from services.marketplace.entrypoints.schemas.catalog import (
    Created,
    ReviewInput,
    ReviewOut,
    ReviewPage,
    TicketInput,
    TicketOut,
    TicketPage,
    TrialInput,
)
from services.marketplace.service_layer import engagement
from services.marketplace.service_layer.common import RESELLER_ROLES
from shared.auth import current_principal, require
from shared.errors import validation
from shared.web import PageArgs, db, page_of, uow

blp = Blueprint("engagement", __name__, url_prefix="/marketplace/v1", description="Reviews, trials and consultation tickets")


@blp.route("/solutions/<solution_id>/reviews")
class SolutionReviews(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ReviewPage)
    def get(self, args: dict[str, Any], solution_id: str) -> dict[str, Any]:
        """Reviews of a solution"""
        query = select(reviews).where(reviews.c.solution_id == solution_id).order_by(reviews.c.created_at.desc(), reviews.c.id)
        return page_of(db(), query, args["page"], args["page_size"])

    @resellers_only()
    @blp.arguments(ReviewInput)
    @blp.response(201, ReviewOut)
    def post(self, review: dict[str, Any], solution_id: str) -> Any:
        """Review a solution bought in one of your completed orders"""
        unit = uow()
        review_id = engagement.review_solution(unit, current_channel(), solution_id, review["order_id"], review["rating"],
                                               review.get("comment"))
        return unit.session.execute(select(reviews).where(reviews.c.id == review_id)).first()


@blp.route("/solutions/<solution_id>/trials")
class SolutionTrials(MethodView):
    @blp.arguments(TrialInput)
    @blp.response(201, Created)
    def post(self, trial: dict[str, Any], solution_id: str) -> dict[str, Any]:
        """Request a trial of a solution (申请试用); the platform contacts you within a working day"""
        return {"id": engagement.request_trial(uow(), solution_id, trial, optional_reseller_id())}


def _ticket_body() -> dict[str, Any]:
    """Tickets come as JSON or, with an attachment, as multipart form fields."""
    source = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    try:
        return TicketInput().load(source or {})
    except ValidationError as error:
        raise validation({k: v if isinstance(v, list) else [str(v)] for k, v in error.normalized_messages().items()}) from None


@blp.route("/tickets")
class Tickets(MethodView):
    @blp.doc(requestBody={"content": {
        "application/json": {"schema": TicketInput},
        "multipart/form-data": {"schema": {"allOf": [{"$ref": "#/components/schemas/TicketInput"}, {
            "type": "object", "properties": {"attachment": {"type": "string", "format": "binary"}}}]}},
    }})
    @blp.response(201, TicketOut)
    def post(self) -> Any:
        """Open a consultation ticket (details ≤ 300 characters, optional jpg/png/pdf attachment)"""
        body = _ticket_body()
        storage = request.files.get("attachment")
        attachment = read_upload(storage) if storage else None
        unit = uow()
        ticket_id = engagement.open_ticket(unit, file_store(), body, attachment, optional_reseller_id())
        return unit.session.execute(select(tickets).where(tickets.c.id == ticket_id)).first()

    @require(*ANY_STAFF, *RESELLER_ROLES)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TicketPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Tickets: all of them for platform staff, your organisation's for resellers"""
        query = select(tickets).order_by(tickets.c.created_at.desc(), tickets.c.id)
        if not current_principal().is_platform_staff:
            query = query.where(tickets.c.reseller_id == current_channel().reseller_id)
        return page_of(db(), query, args["page"], args["page_size"])
