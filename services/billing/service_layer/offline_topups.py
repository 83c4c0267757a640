"""Offline top-up requests: sales draft, edit and submit them; finance approves (credits the balance
exactly once, even when approvals race), returns them for editing, or declines them. Every step is
kept in the request's history."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import offline_topup_history, offline_topups, orders
from services.billing.domain import offline_topups as rules
from services.billing.domain.errors import NotFound, StateConflict
from services.billing.service_layer import ledger, order_numbers
from services.billing.service_layer.companies import Caller, require_company
from services.billing.service_layer.orders import recipient_of
from shared.uow import UnitOfWork


def draft(uow: UnitOfWork, caller: Caller, fields: dict[str, Any]) -> dict[str, Any]:
    require_company(uow.session, fields["company_id"])
    now, topup_id = uow.clock.now(), str(uuid.uuid4())
    uow.session.execute(
        offline_topups.insert().values(id=topup_id, **fields, status=rules.DRAFT, created_by=caller.user_id, created_at=now, updated_at=now)
    )
    _remember(uow, caller, topup_id, "drafted", rules.DRAFT, None, fields)
    uow.audit("offline_topup.drafted", "offline_topup", topup_id, fields)
    return detail(uow.session, topup_id)


def edit(uow: UnitOfWork, caller: Caller, topup_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = _locked(uow.session, topup_id)
    rules.require_editable(current.status)
    if "company_id" in changes:
        require_company(uow.session, changes["company_id"])
    if changes:
        uow.session.execute(offline_topups.update().where(offline_topups.c.id == topup_id, offline_topups.c.status.in_(rules.EDITABLE))
                            .values(**changes, version=offline_topups.c.version + 1, updated_at=uow.clock.now()))
    _remember(uow, caller, topup_id, "edited", current.status, None, changes)
    uow.audit("offline_topup.edited", "offline_topup", topup_id, changes)
    return detail(uow.session, topup_id)


def submit(uow: UnitOfWork, caller: Caller, topup_id: str) -> dict[str, Any]:
    current = _locked(uow.session, topup_id)
    rules.require_submittable(current.status)
    _move(uow, topup_id, current.status, rules.SUBMITTED)
    _remember(uow, caller, topup_id, "submitted", rules.SUBMITTED, None, None)
    uow.audit("offline_topup.submitted", "offline_topup", topup_id)
    return detail(uow.session, topup_id)


def review(uow: UnitOfWork, caller: Caller, topup_id: str, decision: str, comment: str | None, version: int) -> dict[str, Any]:
    """Only a submitted request is reviewed, and only at the version the reviewer names; the guarded
    transition lets one of racing reviews through. A submitted request cannot be edited, so the amount
    credited is the amount submitted."""
    current = _locked(uow.session, topup_id)
    new_status = rules.status_after_review(decision, comment)
    if current.status == rules.SUBMITTED:
        rules.require_reviewed_version(current.version, version)
    now = uow.clock.now()
    _move(uow, topup_id, rules.SUBMITTED, new_status, reviewed_by=caller.user_id, reviewed_at=now, review_comment=comment,
          version_reviewed=version)
    if new_status == rules.APPROVED:
        _credit(uow, topup_id, comment, version)
    _remember(uow, caller, topup_id, decision, new_status, comment, None)
    uow.audit(f"offline_topup.{new_status}", "offline_topup", topup_id, {"comment": comment})
    return detail(uow.session, topup_id)


def _credit(uow: UnitOfWork, topup_id: str, comment: str | None, version: int) -> None:
    """The approved amount goes to the balance and shows in the order records as a paid offline top-up."""
    topup = uow.session.execute(select(offline_topups).where(offline_topups.c.id == topup_id, offline_topups.c.version == version)).one()
    now, order_id = uow.clock.now(), str(uuid.uuid4())
    order_no = order_numbers.new("topup", now)
    ledger.credit(uow.session, topup.company_id, topup.currency, topup.amount_minor, ledger.OFFLINE_TOPUP, topup_id, now)
    uow.session.execute(
        orders.insert().values(
            id=order_id,
            order_no=order_no,
            company_id=topup.company_id,
            kind="topup",
            status="paid",
            amount_minor=topup.amount_minor,
            currency=topup.currency,
            method="offline",
            auto=False,
            created_by=topup.created_by,
            created_at=now,
            confirmed_at=now,
            paid_at=now,
        )
    )
    uow.session.execute(offline_topups.update().where(offline_topups.c.id == topup_id).values(order_id=order_id))
    recipient, emails = recipient_of(uow.session, topup.company_id)
    uow.emit(
        "billing.topup.approved.v1",
        topup_id,
        {
            "topup_id": topup_id,
            "order_no": order_no,
            "reference": topup.reference,
            "company_id": topup.company_id,
            "amount_minor": topup.amount_minor,
            "currency": topup.currency,
            "comment": comment,
            "recipient": recipient,
            "emails": emails,
        },
    )


def _move(uow: UnitOfWork, topup_id: str, from_status: str, to_status: str, *, version_reviewed: int | None = None,
          **values: Any) -> None:
    guard = [offline_topups.c.id == topup_id, offline_topups.c.status == from_status]
    if version_reviewed is not None:
        guard.append(offline_topups.c.version == version_reviewed)
    moved = uow.session.execute(
        offline_topups.update().where(*guard).values(status=to_status, updated_at=uow.clock.now(), **values)
    ).rowcount
    if moved != 1:
        raise StateConflict(
            "topup_not_reviewable" if from_status == rules.SUBMITTED else "topup_state_changed", "the request is no longer " + from_status
        )


def _remember(
    uow: UnitOfWork, caller: Caller, topup_id: str, action: str, status: str, comment: str | None, changes: dict[str, Any] | None
) -> None:
    uow.session.execute(
        offline_topup_history.insert().values(
            topup_id=topup_id, at=uow.clock.now(), actor_id=caller.user_id, action=action, status=status, comment=comment, changes=changes
        )
    )


def _locked(session: Session, topup_id: str) -> Any:
    row = session.execute(select(offline_topups).where(offline_topups.c.id == topup_id).with_for_update()).first()
    if row is None:
        raise NotFound("offline top-up")
    return row


def detail(session: Session, topup_id: str) -> dict[str, Any]:
    row = session.execute(select(offline_topups).where(offline_topups.c.id == topup_id)).first()
    if row is None:
        raise NotFound("offline top-up")
    result = dict(row._mapping)
    result["history"] = [
        dict(h._mapping)
        for h in session.execute(
            select(offline_topup_history).where(offline_topup_history.c.topup_id == topup_id).order_by(offline_topup_history.c.id)
        )
    ]
    return result


def search(filters: dict[str, Any]) -> Any:
    query = select(offline_topups).order_by(offline_topups.c.created_at.desc(), offline_topups.c.id)
    for column in ("status", "company_id", "currency"):
        if filters.get(column):
            query = query.where(offline_topups.c[column] == filters[column])
    if filters.get("q"):
        q = filters["q"]
        query = query.where(
            or_(offline_topups.c.payer.contains(q, autoescape=True), offline_topups.c.reference.contains(q, autoescape=True))
        )
    return query
