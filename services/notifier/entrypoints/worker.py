"""The notifier worker: outbox relay, event consumers and the delivery job (`python -m services.notifier.entrypoints.worker`).

The consumer stores the messages an event calls for; right after its transaction commits it tries to
send them, and the delivery job (every second) sends whatever is due: new messages a first attempt
missed, retries after their pause, and resends staff asked for.
"""
from __future__ import annotations

from sqlalchemy import event as orm_event

from services.notifier.bootstrap import NotifierWorkerParts, build_worker_parts
from services.notifier.config import Settings
from services.notifier.domain.catalogue import CATALOGUE
from services.notifier.service_layer.intake import take_event
from shared.envelope import Event
from shared.uow import UnitOfWork
from shared.worker import EventHandler, Job, run_worker

DELIVERY_INTERVAL_SECONDS = 1.0


def message_handlers(parts: NotifierWorkerParts) -> dict[str, EventHandler]:
    """One handler per event type of the catalogue: store the messages, send them once committed."""

    def on_event(uow: UnitOfWork, event: Event) -> None:
        queued = take_event(uow, event, parts.renderer, parts.box)
        if queued:
            orm_event.listen(uow.session, "after_commit", lambda _session: parts.delivery.deliver_quietly(queued), once=True)

    return {event_type: on_event for event_type in CATALOGUE}


def delivery_job(parts: NotifierWorkerParts) -> Job:
    # The job opens its own short transactions (claim, send, record): the send must sit between two
    # commits, so it never uses the job runner's unit of work.
    return Job("deliver_messages", DELIVERY_INTERVAL_SECONDS, lambda _uow: parts.delivery.deliver_due())


def main() -> None:
    settings = Settings.from_env()
    parts = build_worker_parts(settings)
    run_worker(settings.common, parts.context, handlers=message_handlers(parts), jobs=[delivery_job(parts)])


if __name__ == "__main__":
    main()
