"""The notifier's consumer on a real broker: an event published twice gives one message and one mail."""
from __future__ import annotations

import threading
import time

import pytest
from kombu import Connection

from services.notifier.entrypoints.worker import message_handlers
from services.notifier.tests import samples
from services.notifier.tests.helpers import count_messages, stored_messages
from shared import bus
from shared.bus import EventConsumer, EventPublisher
from shared.testkit import body_text, wait_for_handled
from shared.uow import UnitOfWork


def _purge(url: str) -> None:
    with Connection(url) as conn:
        bus.declare_topology(conn)
        for sub in bus.subscriptions_of("notifier"):
            conn.default_channel.queue_purge(sub.queue)
            conn.default_channel.queue_purge(sub.dead_letter_queue)


@pytest.fixture()
def running_consumer(any_broker_url, worker):
    _purge(any_broker_url)
    context = worker.context

    def in_unit_of_work(handler):
        return lambda session, event: handler(UnitOfWork(context.service, session, context.tables, context.clock), event)

    handlers = {t: in_unit_of_work(h) for t, h in message_handlers(worker).items()}
    consumer = EventConsumer("notifier", any_broker_url, context.session_factory, context.tables.inbox, handlers)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    yield consumer
    consumer.stop()
    thread.join(10)


def test_event_published_twice_is_mailed_once(any_broker_url, running_consumer, worker, smtp_sink):
    event = samples.event("entitlements.order.delivered.v1")
    publisher = EventPublisher(any_broker_url)
    publisher.publish(event.to_dict())
    publisher.publish(event.to_dict())
    publisher.close()
    engine = worker.context.session_factory.kw["bind"]
    wait_for_handled(engine, worker.context.tables.inbox, "notifier.messages", event.id)
    [mail] = smtp_sink.wait_for("admin@acme.test", timeout=10)
    assert samples.OPERATION_KEY in body_text(mail)
    time.sleep(1.0)
    assert len(smtp_sink.to("admin@acme.test")) == 1
    assert count_messages(worker) == 1
    assert stored_messages(worker)[0].status == "sent"
