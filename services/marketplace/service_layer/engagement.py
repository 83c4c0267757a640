"""Consultation tickets, trial requests (both mailed by the notifier) and reviews by buyers of completed orders."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.marketplace.adapters.file_store import FileStore
from services.marketplace.adapters.orm import order_lines, orders, reviews, solutions, tickets, trials
from services.marketplace.domain.orders import COMPLETED
from services.marketplace.service_layer.applications import UploadedFile, store_files
from services.marketplace.service_layer.common import Channel, new_id, one_or_404, scoped
from shared.errors import Problem
from shared.uow import UnitOfWork

TICKET_EVENT = "marketplace.ticket.created.v1"
TRIAL_EVENT = "marketplace.trial.requested.v1"


def _recipient(data: dict[str, Any]) -> dict[str, Any]:
    return {"email": data["email"], "phone": data.get("phone"), "name": data["name"], "language": None}


def open_ticket(uow: UnitOfWork, store: FileStore, data: dict[str, Any], attachment: UploadedFile | None,
                reseller_id: str | None) -> str:
    ticket_id = new_id()
    attachment_id = store_files(uow, store, "ticket", ticket_id, [attachment])[0] if attachment else None
    if data.get("solution_id"):
        one_or_404(uow.session, select(solutions.c.id).where(solutions.c.id == data["solution_id"]), "solution")
    uow.session.execute(tickets.insert().values(
        id=ticket_id, reseller_id=reseller_id, attachment_id=attachment_id, created_at=uow.clock.now(), **data))
    uow.emit(TICKET_EVENT, ticket_id, {
        "ticket_id": ticket_id, "subject": data["subject"], "service_type": data["service_type"],
        "category": data["category"], "recipient": _recipient(data),
    })
    return ticket_id


def request_trial(uow: UnitOfWork, solution_id: str, data: dict[str, Any], reseller_id: str | None) -> str:
    solution = one_or_404(uow.session, select(solutions.c.id, solutions.c.name).where(
        solutions.c.id == solution_id, solutions.c.published.is_(True)), "solution")
    trial_id = new_id()
    uow.session.execute(trials.insert().values(
        id=trial_id, solution_id=solution_id, reseller_id=reseller_id, created_at=uow.clock.now(), **data))
    uow.emit(TRIAL_EVENT, trial_id, {
        "trial_id": trial_id, "solution_id": solution_id, "solution_name": solution.name, "recipient": _recipient(data),
    })
    return trial_id


def review_solution(uow: UnitOfWork, channel: Channel, solution_id: str, order_id: str, rating: int, comment: str | None) -> str:
    """Only a buyer of a completed order containing the solution may review it, once per order."""
    order = one_or_404(uow.session, scoped(select(orders), orders, channel).where(orders.c.id == order_id), "order")
    if order.status != COMPLETED:
        raise Problem(409, "order_not_completed", "only a completed order can be reviewed")
    bought = uow.session.execute(select(order_lines.c.id).where(
        order_lines.c.order_id == order_id, order_lines.c.solution_id == solution_id)).first()
    if bought is None:
        raise Problem(422, "solution_not_in_order", "this order does not contain the solution",
                      errors={"order_id": ["does not contain this solution"]})
    review_id = new_id()
    try:
        with uow.session.begin_nested():
            uow.session.execute(reviews.insert().values(
                id=review_id, solution_id=solution_id, order_id=order_id, reseller_id=channel.reseller_id,
                author_id=channel.user_id, rating=rating, comment=comment, created_at=uow.clock.now()))
    except IntegrityError:
        raise Problem(409, "already_reviewed", "this order has already reviewed this solution") from None
    uow.session.execute(update(solutions).where(solutions.c.id == solution_id).values(
        rating_sum=solutions.c.rating_sum + rating, rating_count=solutions.c.rating_count + 1))
    return review_id
