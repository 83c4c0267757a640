"""The sandbox provider's side: what the payer decided at its payment page, delivered later.

The page records the outcome and answers at once; the worker's `sandbox_callbacks` job builds the
provider's notification and sends it, signed, over HTTP to the marketplace's callback endpoint (the
same verification path as ever). A request thread never waits on the service's own callback (billing's
sandbox did: 12 unauthenticated clicks held every API thread, issue 16).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.marketplace.adapters.orm import sandbox_notices
from services.marketplace.service_layer.payments import sandbox_notification
from shared.errors import Problem
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BATCH = 50

Notify = Callable[[dict[str, Any]], int]  # sends the signed notification; the HTTP status answered


def record_outcome(uow: UnitOfWork, payment_id: str, outcome: str) -> dict[str, Any]:
    """The payer finished at the sandbox: 404/409 for a payment it cannot take, else the callback is queued."""
    sandbox_notification(uow, payment_id, outcome)
    now = uow.clock.now()
    uow.session.execute(sandbox_notices.insert().values(
        id=str(uuid.uuid4()), payment_id=payment_id, outcome=outcome, created_at=now, attempts=0, next_attempt_at=now))
    return {"payment_id": payment_id, "outcome": outcome, "callback": "queued"}


def deliver_sandbox_notices(open_uow: Callable[[Session], UnitOfWork], open_session: Callable[[], Session],
                            now: Callable[[], datetime], notify: Notify) -> list[int | None]:
    """Send each due notice, outside any transaction (the callback writes the payment; a
    transaction held here would wait on it and hold a connection meanwhile). A notice for a payment no longer pending is settled
    without sending; a 2xx or 4xx answer is final; no answer or a 5xx is tried again after
    2^attempts seconds (at most a minute), `MAX_ATTEMPTS` times. The callback is applied once, so a
    notice sent twice (two workers) changes nothing. Answers the status of each notice handled."""
    with open_session() as session:
        due = session.execute(
            select(sandbox_notices)
            .where(sandbox_notices.c.delivered_at.is_(None), sandbox_notices.c.next_attempt_at <= now(),
                   sandbox_notices.c.attempts < MAX_ATTEMPTS)
            .order_by(sandbox_notices.c.created_at).limit(BATCH)
        ).all()
        notifications: list[tuple[Any, dict[str, Any] | int]] = []
        for row in due:
            try:
                notifications.append((row, sandbox_notification(open_uow(session), row.payment_id, row.outcome)))
            except Problem as refused:
                notifications.append((row, refused.status))
    statuses: list[int | None] = []
    for row, notification in notifications:
        status: int | None
        if isinstance(notification, int):
            status = notification
        else:
            try:
                status = notify(notification)
            except Exception:  # noqa: BLE001 - the provider's HTTP client failing is a retry, not a crash of the worker
                log.warning("sandbox callback failed", exc_info=True, extra={"fields": {"payment_id": row.payment_id}})
                status = None
        statuses.append(status)
        values: dict[str, Any] = {"attempts": row.attempts + 1, "answer_status": status}
        if status is not None and status < 500:
            values["delivered_at"] = now()
        else:
            values["next_attempt_at"] = now() + timedelta(seconds=min(60, 2 ** row.attempts))
        with open_session() as session:
            session.execute(update(sandbox_notices).where(sandbox_notices.c.id == row.id).values(**values))
            session.commit()
    return statuses
