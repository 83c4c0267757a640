"""The `worker` process of a service: outbox relay, event consumers and scheduled jobs, until SIGTERM.

`WORKER_ROLES` (comma-separated `relay`, `consumers`, `jobs`; default all three) lets a deployment run
them as separate processes (deploy/k8s runs `relay,jobs` and `consumers` as two Deployments).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared import bus, idempotency, logs, metrics, tracing
from shared.db import make_engine
from shared.envelope import Event
from shared.outbox import OutboxRelay
from shared.settings import CommonSettings
from shared.uow import UnitOfWork
from shared.web import ServiceContext

log = logging.getLogger(__name__)

EventHandler = Callable[[UnitOfWork, Event], None]
BatchEventHandler = Callable[[UnitOfWork, list[Event]], None]


@dataclass(frozen=True)
class Job:
    """A scheduled job: `run(uow)` every `every_seconds` (the job itself decides what is due)."""

    name: str
    every_seconds: float
    run: Callable[[UnitOfWork], None]


def _with_uow(context: ServiceContext, handlers: dict[str, Callable[[UnitOfWork, Any], None]]) -> dict[str, Any]:
    """The bus calls handlers with a session; ours take a unit of work (the event, or a run of events, passes through)."""
    def wrap(handler: Callable[[UnitOfWork, Any], None]) -> Callable[[Any, Any], None]:
        def run(session, event_or_events):  # type: ignore[no-untyped-def]
            handler(UnitOfWork(context.service, session, context.tables, context.clock), event_or_events)

        return run

    return {event_type: wrap(h) for event_type, h in handlers.items()}


def _run_jobs(context: ServiceContext, jobs: list[Job], stop: threading.Event) -> None:
    purge = Job("purge_idempotency_keys", 3600, lambda u: idempotency.purge_expired(u.session, u.tables.idempotency_keys))
    schedule = [(job, 0.0) for job in [*jobs, purge]]
    while not stop.is_set():
        now = time.monotonic()
        for index, (job, due) in enumerate(schedule):
            if now < due:
                continue
            session = context.session_factory()
            try:
                job.run(UnitOfWork(context.service, session, context.tables, context.clock))
                session.commit()
            except Exception:  # noqa: BLE001 - a failing job must not stop the others
                session.rollback()
                log.exception("scheduled job failed", extra={"fields": {"job": job.name}})
            finally:
                session.close()
            schedule[index] = (job, now + job.every_seconds)
        stop.wait(1.0)


def run_worker(
    settings: CommonSettings,
    context: ServiceContext,
    handlers: dict[str, EventHandler],
    jobs: list[Job] | None = None,
    batch_handlers: dict[str, BatchEventHandler] | None = None,
) -> None:
    """`batch_handlers` (optional, per event type) handle a run of consecutive events of that type in
    one call when the consumer takes a batch (shared/bus.py); `handlers` stay the one-by-one path."""
    logs.configure(settings.service)
    tracing.configure(settings.service)
    metrics.serve_worker_metrics()
    roles = {r.strip() for r in os.environ.get("WORKER_ROLES", "relay,consumers,jobs").split(",") if r.strip()}
    stop = threading.Event()
    threads: list[threading.Thread] = []
    relay = consumer = None
    if "relay" in roles:
        engine = make_engine(settings.database_url)
        relay = OutboxRelay(settings.service, engine, context.tables.outbox, bus.EventPublisher(settings.broker_url))
        threads.append(threading.Thread(target=relay.run, name="outbox-relay", daemon=True))
    if "consumers" in roles and handlers:
        consumer = bus.EventConsumer(
            settings.service, settings.broker_url, context.session_factory, context.tables.inbox, _with_uow(context, handlers),
            batch_handlers=_with_uow(context, batch_handlers or {}),
        )
        threads.append(threading.Thread(target=consumer.run, name="consumer", daemon=True))
    if "jobs" in roles:
        threads.append(threading.Thread(target=_run_jobs, args=(context, jobs or [], stop), name="jobs", daemon=True))

    def shutdown(_signum: int, _frame: object) -> None:
        stop.set()
        if relay is not None:
            relay.stop()
        if consumer is not None:
            consumer.stop()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"fields": {"roles": sorted(roles), "broker": settings.broker_url.split("@")[-1]}})
    died: list[str] = []
    while not stop.is_set() and not died:
        stop.wait(0.5)
        died = [t.name for t in threads if not t.is_alive()]
    if died and not stop.is_set():
        # A worker that looks alive but no longer relays or consumes is worse than one that exits:
        # exit non-zero so the supervisor (launcher, Kubernetes, compose) starts a fresh one.
        log.error("worker thread died; exiting", extra={"fields": {"threads": died}})
        shutdown(signal.SIGTERM, None)
    for thread in threads:
        thread.join(timeout=5)
    if died:
        sys.exit(1)
