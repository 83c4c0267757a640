"""The sandbox provider's side: what the payer decided at its checkout page, delivered later.

The checkout page records the outcome and answers at once; the worker's `deliver_sandbox_notices`
job sends the signed callback over HTTP to billing's public callback endpoint (the same verification
path a real provider's notice takes). A request thread never waits on billing's own callback: 12
unauthenticated clicks that did so held every API thread (issue 16).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.billing.adapters.orm import sandbox_notices
from services.billing.adapters.payment_providers import Checkout
from services.billing.service_layer.payments import checkout_for_outcome, checkout_of
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BATCH = 50

# What sends a callback: (checkout, outcome, now) -> the HTTP status billing answered.
Deliver = Callable[[Checkout, str, datetime], int]


def record_outcome(uow: UnitOfWork, payment_id: str, outcome: str) -> dict[str, Any]:
    """The payer finished at the sandbox: the callback is queued for the worker."""
    checkout_for_outcome(uow.session, payment_id, outcome)  # 404 for a payment the sandbox never showed, 409 once settled
    now = uow.clock.now()
    uow.session.execute(sandbox_notices.insert().values(
        id=str(uuid.uuid4()), payment_id=payment_id, outcome=outcome, created_at=now, attempts=0, next_attempt_at=now))
    return {"payment_id": payment_id, "outcome": outcome, "callback": "queued"}


def due_notices(session: Session, now: datetime) -> list[Any]:
    return list(session.execute(
        select(sandbox_notices)
        .where(sandbox_notices.c.delivered_at.is_(None), sandbox_notices.c.next_attempt_at <= now,
               sandbox_notices.c.attempts < MAX_ATTEMPTS)
        .order_by(sandbox_notices.c.created_at)
        .limit(BATCH)
    ).all())


def deliver_sandbox_notices(open_session: Callable[[], Session], now: Callable[[], datetime], deliver: Deliver) -> list[int | None]:
    """Send every due notice's callback, each outside any transaction (billing's own callback writes
    the payment; a transaction held here would wait on it and hold a connection meanwhile). A 2xx or 4xx answer is final; no
    answer or a 5xx is tried again after 2^attempts seconds (at most a minute), `MAX_ATTEMPTS` times.
    Billing applies a repeated callback once, so a notice sent twice (two workers) changes nothing.
    Answers the status of each callback sent (None: no answer)."""
    statuses: list[int | None] = []
    with open_session() as session:
        due = [(row, checkout_of(session, row.payment_id)) for row in due_notices(session, now())]
    for row, checkout in due:
        try:
            status: int | None = deliver(checkout, row.outcome, now())
        except Exception:  # noqa: BLE001 - the provider's HTTP client failing is a retry, not a crash of the worker
            log.warning("sandbox callback failed", exc_info=True, extra={"fields": {"payment_id": row.payment_id}})
            status = None
        statuses.append(status)
        final = status is not None and status < 500
        values: dict[str, Any] = {"attempts": row.attempts + 1, "answer_status": status}
        if final:
            values["delivered_at"] = now()
        else:
            values["next_attempt_at"] = now() + timedelta(seconds=min(60, 2 ** row.attempts))
        with open_session() as session:
            session.execute(update(sandbox_notices).where(sandbox_notices.c.id == row.id).values(**values))
            session.commit()
    return statuses
