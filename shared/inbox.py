"""The inbox: a consumer records each handled event id in the transaction of its effect.

The (consumer, event_id) primary key makes a redelivered or concurrently delivered event a no-op.
`claim` does it for one event (the one-by-one path); `claim_many` for a batch of deliveries handled
in one transaction (shared/bus.py), with one `INSERT … ON CONFLICT DO NOTHING RETURNING`: the rows
it returns are the events to handle, the others were handled before (a concurrent twin's insert waits
for that transaction and then counts as handled, as the one-by-one path's unique-key error does).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.envelope import Event


@functools.cache
def _seen_statement(table: Any) -> Any:
    return select(table.c.event_id).where(table.c.consumer == bindparam("consumer"), table.c.event_id == bindparam("event_id"))


@functools.cache
def _claim_statement(table: Any) -> Any:
    return insert(table).on_conflict_do_nothing().returning(table.c.consumer, table.c.event_id)


def seen(session: Session, table: Any, consumer: str, event_id: str) -> bool:
    return session.execute(_seen_statement(table), {"consumer": consumer, "event_id": event_id}).first() is not None


def claim(session: Session, table: Any, consumer: str, event: Event) -> bool:
    """Insert the inbox row (flushes, so a concurrent twin blocks or fails here). False if already handled."""
    if seen(session, table, consumer, event.id):
        return False
    session.execute(table.insert(), {"consumer": consumer, "event_id": event.id, "event_type": event.type, "handled_at": utcnow()})
    return True


def claim_many(session: Session, table: Any, deliveries: Iterable[tuple[str, Event]]) -> set[tuple[str, str]]:
    """Claims (consumer, event) pairs at once; returns the (consumer, event id) pairs not handled before."""
    now = utcnow()
    rows = list({(consumer, event.id): {"consumer": consumer, "event_id": event.id, "event_type": event.type, "handled_at": now}
                 for consumer, event in deliveries}.values())
    if not rows:
        return set()
    return {(r.consumer, r.event_id) for r in session.execute(_claim_statement(table), rows)}
