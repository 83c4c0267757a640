"""The transactional outbox and its relay.

`record(session, table, event)` writes the event in the caller's transaction; nothing reaches the
broker unless that transaction commits. `OutboxRelay` polls unpublished rows in id order, publishes
them with confirms, and marks them published; on failure it backs off and tries again. A relay killed
between publishing and marking publishes again after restart: consumers' inboxes drop the duplicate.

Waking the relay: on PostgreSQL the outbox insert also calls `pg_notify` in the same statement (no
extra round trip); PostgreSQL delivers the notification only when the transaction commits, and the
relay LISTENs on that channel, so it publishes within a millisecond or two of the commit instead of
after up to `idle_seconds` of polling (bench/README.md: authorize → seat granted). The poll stays as
the safety net (`listen_fallback_seconds`). `OUTBOX_LISTEN=0` turns listening off (a connection pooler
in transaction mode, e.g. PgBouncer, does not carry LISTEN).
"""
from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from datetime import UTC
from typing import Any, Protocol

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from shared import metrics
from shared.bus import EncodedEvent
from shared.clock import utcnow
from shared.envelope import Event

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "suite_outbox"


class Publisher(Protocol):
    def publish_many(self, messages: list[EncodedEvent]) -> None: ...

    def close(self) -> None: ...


@functools.cache
def _record_statement(table: Any) -> Any:
    """Built once per table (SQLAlchemy then compiles it once): the insert with its pg_notify."""
    insert = table.insert().values(
        event_id=bindparam("event_id"), type=bindparam("type"), payload=bindparam("payload"),
        created_at=bindparam("created_at"), attempts=0,
    )
    return select(func.pg_notify(NOTIFY_CHANNEL, "")).add_cte(insert.cte("recorded"))


def _row(event: Event) -> dict[str, Any]:
    return {"event_id": event.id, "type": event.type, "payload": json.dumps(event.to_dict(), ensure_ascii=False),
            "created_at": utcnow()}


def record(session: Session, table: Any, event: Event) -> None:
    """Writes the event in the session's transaction (or into its buffer, see `buffered`)."""
    buffer = session.info.get(_BUFFER)
    if buffer is not None:
        buffer.append((table, _row(event)))
        return
    session.execute(_record_statement(table), _row(event))


_BUFFER = "shared.outbox.buffer"
_NOTIFY = select(func.pg_notify(NOTIFY_CHANNEL, ""))


def buffered(session: Session) -> bool:
    """From now on `record` collects the session's events; `flush` writes them (a batch's one insert).

    False if the session buffers already (an enclosing batch flushes then, not the caller).
    """
    if session.info.get(_BUFFER) is not None:
        return False
    session.info[_BUFFER] = []
    return True


def flush(session: Session) -> int:
    """Writes the buffered events with one executemany per table (and one NOTIFY) and stops buffering."""
    buffer = session.info.pop(_BUFFER, None) or []
    tables: dict[Any, list[dict[str, Any]]] = {}
    for table, row in buffer:
        tables.setdefault(table, []).append(row)
    if len(buffer) == 1:  # one row: `record`'s one statement (insert and NOTIFY together)
        table, row = buffer[0]
        session.execute(_record_statement(table), row)
        return 1
    for table, rows in tables.items():
        session.execute(table.insert(), rows)  # `attempts` takes the column's default, 0
    if buffer:
        session.execute(_NOTIFY)
    return len(buffer)


def discard(session: Session) -> None:
    """Drops the buffer (the transaction it belonged to rolled back)."""
    session.info.pop(_BUFFER, None)


def listening_enabled() -> bool:
    return os.environ.get("OUTBOX_LISTEN", "1") != "0"


class _Notifications:
    """A PostgreSQL connection LISTENing on the outbox channel; `wait` returns at a notification or the timeout."""

    def __init__(self, engine: Engine) -> None:
        self.url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection: Any = None

    def listen(self) -> None:
        import psycopg

        if self.connection is None:
            self.connection = psycopg.connect(self.url, autocommit=True)
            self.connection.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def wait(self, timeout: float) -> None:
        self.listen()
        for _ in self.connection.notifies(timeout=timeout, stop_after=1):
            pass
        for _ in self.connection.notifies(timeout=0):  # the commits since then: one poll answers them all
            pass

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class OutboxRelay:
    def __init__(
        self, service: str, engine: Engine, table: Any, publisher: Publisher, *, batch_size: int = 500, listen: bool | None = None
    ) -> None:
        self.service = service
        self.engine = engine
        self.table = table
        self.publisher = publisher
        self.batch_size = batch_size
        self.stop_event = threading.Event()
        listen = listening_enabled() if listen is None else listen
        self.notifications = _Notifications(engine) if listen else None
        t = table
        self.query = (
            select(t.c.id, t.c.event_id, t.c.type, t.c.payload).where(t.c.published_at.is_(None)).order_by(t.c.id).limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        self.mark = update(t).where(t.c.id.in_(bindparam("ids", expanding=True))).values(published_at=bindparam("now"))
        self.backlog_query = select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
        self.backlog_every = 5.0
        self._backlog_due = 0.0

    def sample_backlog(self) -> tuple[int, float]:
        """Sets the backlog gauges (rows not yet published, age of the oldest in seconds) and returns them."""
        with self.engine.connect() as connection:
            count, oldest = connection.execute(self.backlog_query).one()
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:  # SQLite hands back naive datetimes (stored as UTC)
                oldest = oldest.replace(tzinfo=UTC)
            age = max(0.0, (utcnow() - oldest).total_seconds())
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        return int(count), age

    def _maybe_sample_backlog(self) -> None:
        now = time.monotonic()
        if now >= self._backlog_due:
            self._backlog_due = now + self.backlog_every
            try:
                self.sample_backlog()
            except Exception:  # noqa: BLE001 - a gauge must never stop the relay
                log.warning("outbox backlog sample failed", exc_info=True)

    def publish_pending(self) -> int:
        """Publish one batch; return how many rows were published."""
        t = self.table
        query = self.query
        failure: Exception | None = None
        with self.engine.begin() as session:  # a Core connection: the ORM session's bookkeeping costs more than the work
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
                session.execute(self.mark, {"ids": published, "now": utcnow()})
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        if failure is not None:
            metrics.OUTBOX_PUBLISH_FAILURES.labels(self.service).inc()
            raise failure
        return len(published)

    def run(self, idle_seconds: float = 0.05, max_backoff: float = 5.0, listen_fallback_seconds: float = 0.5) -> None:
        backoff = idle_seconds
        while not self.stop_event.is_set():
            self._maybe_sample_backlog()
            try:
                if self.notifications is not None:
                    self.notifications.listen()  # before the poll, so no commit after it goes unnoticed
                count = self.publish_pending()
                backoff = idle_seconds
                # Listening, a short batch means the outbox is drained: any commit since the query has
                # queued its notification, so wait for it instead of querying again at once.
                if count == 0 or (self.notifications is not None and count < self.batch_size):
                    self._idle(idle_seconds, listen_fallback_seconds)
            except Exception:  # noqa: BLE001 - the relay must survive broker and database outages
                log.warning("outbox relay failed; backing off", exc_info=True, extra={"fields": {"backoff": backoff}})
                if self.notifications is not None:
                    self.notifications.close()
                self.stop_event.wait(backoff)
                backoff = min(max_backoff, backoff * 2 if backoff > idle_seconds else 0.5)
        if self.notifications is not None:
            self.notifications.close()
        self.publisher.close()

    def _idle(self, idle_seconds: float, listen_fallback_seconds: float) -> None:
        if self.notifications is None:
            self.stop_event.wait(idle_seconds)
        else:
            self.notifications.wait(listen_fallback_seconds)

    def stop(self) -> None:
        self.stop_event.set()
