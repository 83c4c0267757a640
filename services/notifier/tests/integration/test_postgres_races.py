"""Races on PostgreSQL: two senders never send the same message; twin deliveries of one event store one."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError

from services.notifier.adapters.mail import OutgoingMail
from services.notifier.bootstrap import build_context, build_worker_parts
from services.notifier.config import SERVICE
from services.notifier.service_layer.delivery import Channels
from services.notifier.tests import samples
from services.notifier.tests.conftest import worker_settings
from services.notifier.tests.helpers import RefusingSmsProvider, consume, count_messages, stored_messages
from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.testkit import free_port


class CountingMailer:
    """Counts what it is handed, slowly enough that two senders overlap."""

    def __init__(self, counts: Counter, lock: threading.Lock) -> None:
        self.counts = counts
        self.lock = lock

    def send(self, mail: OutgoingMail) -> None:
        time.sleep(0.01)
        with self.lock:
            self.counts[mail.message_id] += 1


@pytest.fixture()
def on_postgres(postgres_url, tmp_path):
    upgrade(SERVICE, postgres_url)
    clock = FrozenClock()

    def worker(smtp_port: int | None = None):
        """A worker of its own (own engine and connections), as a second worker process would have."""
        settings = worker_settings(postgres_url, smtp_port)
        return build_worker_parts(settings, build_context(settings, clock), tmp_path / "var")

    return worker


def test_two_concurrent_delivery_runs_send_each_message_exactly_once(on_postgres):
    offline = on_postgres(free_port())
    offline.delivery.channels = Channels(offline.delivery.channels.mail, RefusingSmsProvider())
    for _ in range(40):
        consume(offline, samples.event("billing.order.paid.v1"))
    offline.context.clock.advance(seconds=5)
    counts: Counter = Counter()
    lock = threading.Lock()
    senders = [on_postgres() for _ in range(2)]
    for sender in senders:
        sender.delivery.channels = Channels(CountingMailer(counts, lock), RefusingSmsProvider())
        sender.delivery.batch_size = 3
    start = threading.Barrier(2)

    def run(sender) -> None:
        start.wait()
        sender.delivery.deliver_due()

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    messages = stored_messages(offline)
    assert len(messages) == 40
    assert {m.status for m in messages} == {"sent"}
    assert counts == Counter({m.id: 1 for m in messages})
    assert all(m.attempts == 2 for m in messages), "one failed attempt offline, then exactly one send"


def test_the_same_event_handled_by_two_consumers_at_once_stores_one_message(on_postgres):
    event = samples.event("identity.tenant.created.v1")
    workers = [on_postgres(free_port()) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def handle(worker) -> None:
        start.wait()
        try:
            consume(worker, event)
            outcomes.append("stored")
        except IntegrityError:
            outcomes.append("refused by the unique constraint")

    threads = [threading.Thread(target=handle, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert count_messages(workers[0]) == 1
    assert "stored" in outcomes and len(outcomes) == 2
