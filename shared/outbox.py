"""The transactional outbox and its relay.

`record(session, table, event)` writes the event in the caller's transaction; nothing reaches the
broker unless that transaction commits. `OutboxRelay` polls unpublished rows in id order, publishes
them with confirms, and marks them published; on failure it backs off and tries again. A relay killed
between publishing and marking publishes again after restart: consumers' inboxes drop the duplicate.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from shared import metrics
from shared.bus import EncodedEvent
from shared.clock import utcnow
from shared.db import is_postgres
from shared.envelope import Event

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish_many(self, messages: list[EncodedEvent]) -> None: ...

    def close(self) -> None: ...


def record(session: Session, table: Any, event: Event) -> None:
    session.execute(
        table.insert().values(
            event_id=event.id,
            type=event.type,
            payload=json.dumps(event.to_dict(), ensure_ascii=False),
            created_at=utcnow(),
            attempts=0,
        )
    )


class OutboxRelay:
    def __init__(self, service: str, engine: Engine, table: Any, publisher: Publisher, *, batch_size: int = 500) -> None:
        self.service = service
        self.engine = engine
        self.table = table
        self.publisher = publisher
        self.batch_size = batch_size
        self.stop_event = threading.Event()

    def publish_pending(self) -> int:
        """Publish one batch; return how many rows were published."""
        t = self.table
        query = select(t.c.id, t.c.event_id, t.c.type, t.c.payload).where(t.c.published_at.is_(None)).order_by(t.c.id).limit(self.batch_size)
        if is_postgres(self.engine):
            query = query.with_for_update(skip_locked=True)
        failure: Exception | None = None
        with Session(self.engine) as session, session.begin():
            rows = session.execute(query).all()
            if not rows:
                return 0
            published: list[int] = []
            try:
                self.publisher.publish_many([EncodedEvent(r.event_id, r.type, r.payload) for r in rows])
                published = [r.id for r in rows]
            except Exception as exc:  # noqa: BLE001 - recorded on the rows, then re-raised after commit
                failure = exc
                self.publisher.close()
                session.execute(
                    update(t)
                    .where(t.c.id.in_([r.id for r in rows]))
                    .values(attempts=t.c.attempts + 1, last_error=str(exc)[:500])
                )
            if published:
                session.execute(update(t).where(t.c.id.in_(published)).values(published_at=utcnow()))
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        if failure is not None:
            raise failure
        return len(published)

    def run(self, idle_seconds: float = 0.05, max_backoff: float = 5.0) -> None:
        backoff = idle_seconds
        while not self.stop_event.is_set():
            try:
                count = self.publish_pending()
                backoff = idle_seconds
                if count == 0:
                    self.stop_event.wait(idle_seconds)
            except Exception:  # noqa: BLE001 - the relay must survive broker and database outages
                log.warning("outbox relay failed; backing off", exc_info=True, extra={"fields": {"backoff": backoff}})
                self.stop_event.wait(backoff)
                backoff = min(max_backoff, backoff * 2 if backoff > idle_seconds else 0.5)
        self.publisher.close()

    def stop(self) -> None:
        self.stop_event.set()
