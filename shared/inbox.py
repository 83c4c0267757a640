"""The inbox: a consumer records each handled event id in the transaction of its effect.

The (consumer, event_id) primary key makes a redelivered or concurrently delivered event a no-op.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.envelope import Event


def seen(session: Session, table: Any, consumer: str, event_id: str) -> bool:
    row = session.execute(
        select(table.c.event_id).where(table.c.consumer == consumer, table.c.event_id == event_id)
    ).first()
    return row is not None


def claim(session: Session, table: Any, consumer: str, event: Event) -> bool:
    """Insert the inbox row (flushes, so a concurrent twin blocks or fails here). False if already handled."""
    if seen(session, table, consumer, event.id):
        return False
    session.execute(
        table.insert().values(consumer=consumer, event_id=event.id, event_type=event.type, handled_at=utcnow())
    )
    return True
