"""The event bus on kombu: RabbitMQ when `AMQP_URL` is set, the embedded Redis-protocol broker otherwise.

`declare_topology` declares everything in `shared.topology`. `EventPublisher` publishes with
publisher confirms. `EventConsumer` runs a service's handlers: each event is handled in one database
transaction together with its inbox row, and acked only after that commit. A failing handler is
redelivered; after `DELIVERY_LIMIT` deliveries the message is dead-lettered (natively by RabbitMQ's
quorum queues; emulated with a delivery-count header on the embedded broker, which has no DLX).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from kombu import Connection, Exchange, Producer, Queue
from kombu.mixins import ConsumerMixin
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared import inbox, metrics, tracing
from shared.envelope import Event, InvalidEnvelope, validate_event
from shared.topology import (
    DEAD_LETTER_EXCHANGE,
    DELIVERY_LIMIT,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    Subscription,
    subscriptions_of,
)

log = logging.getLogger(__name__)

EVENTS = Exchange(EVENTS_EXCHANGE, type="topic", durable=True)
DLX = Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True)
DELIVERY_COUNT_HEADER = "x-suite-delivery-count"

Handler = Callable[[Session, Event], None]


class EncodedEvent(NamedTuple):
    """An envelope already serialised (as the outbox stores it), with what routing needs."""

    id: str
    type: str
    payload: str


def is_amqp(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://", "pyamqp://"))


def connect(url: str) -> Connection:
    if is_amqp(url):
        return Connection(url, transport_options={"confirm_publish": True}, heartbeat=30)
    # Unacked messages of a killed consumer come back after the visibility timeout.
    return Connection(url, transport_options={"visibility_timeout": 30, "fanout_patterns": True})


def _queue(sub: Subscription, amqp: bool) -> Queue:
    arguments = (
        {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": sub.queue,
        }
        if amqp
        else None
    )
    bindings = [{"routing_key": t} for t in sub.event_types]
    from kombu import binding

    return Queue(
        sub.queue,
        bindings=[binding(EVENTS, routing_key=b["routing_key"]) for b in bindings],
        durable=True,
        queue_arguments=arguments,
    )


def dead_letter_queue(sub: Subscription, amqp: bool) -> Queue:
    arguments = {"x-queue-type": "quorum"} if amqp else None
    return Queue(sub.dead_letter_queue, DLX, routing_key=sub.queue, durable=True, queue_arguments=arguments)


def queues_for(subs: Iterable[Subscription], amqp: bool) -> list[Queue]:
    return [_queue(s, amqp) for s in subs]


def declare_topology(conn: Connection, channel: Any = None) -> None:
    """Declare everything on `channel` (default: the connection's default channel)."""
    amqp = is_amqp(conn.as_uri(include_password=True)) or conn.transport_cls in ("amqp", "pyamqp")
    channel = channel or conn.default_channel
    EVENTS(channel).declare()
    DLX(channel).declare()
    for sub in SUBSCRIPTIONS:
        _queue(sub, amqp)(channel).declare()
        dead_letter_queue(sub, amqp)(channel).declare()


class EventPublisher:
    """Publishes envelopes to `suite.events`; returns only once the broker has confirmed each one.

    `publish_many` is what the outbox relay uses: on RabbitMQ it publishes a whole batch on a
    confirm-mode channel and then waits for the broker's (cumulative) acks, instead of one round trip
    per message; it either returns with every message confirmed or raises (the relay then publishes
    the batch again, and the consumers' inboxes drop what arrived twice).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Connection | None = None
        self._producer: Producer | None = None
        self._batch: _AmqpBatchPublisher | None = None

    def _producer_ready(self) -> Producer:
        if self._producer is None:
            self._conn = connect(self.url)
            self._conn.ensure_connection(max_retries=3)
            declare_topology(self._conn)
            self._producer = Producer(self._conn.default_channel, exchange=EVENTS, serializer="json")
        return self._producer

    def publish(self, body: dict[str, Any]) -> None:
        producer = self._producer_ready()
        producer.publish(
            body,
            exchange=EVENTS,
            routing_key=body["type"],
            delivery_mode=2,
            message_id=body["id"],
            type=body["type"],
            serializer="json",
            headers={"traceparent": body.get("traceparent") or ""},
            retry=False,
        )

    def publish_many(self, messages: list[EncodedEvent]) -> None:
        if not messages:
            return
        if not is_amqp(self.url):
            for message in messages:
                self.publish(json.loads(message.payload))
            return
        if self._batch is None:
            self._batch = _AmqpBatchPublisher(self.url)
        try:
            self._batch.publish_confirmed(messages)
        except Exception:
            self._batch.close()
            self._batch = None
            raise

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()
            self._batch = None
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # noqa: BLE001 - closing a broken connection must not hide the cause
                log.debug("closing broker connection failed", exc_info=True)
        self._conn = None
        self._producer = None


class _AmqpBatchPublisher:
    """A py-amqp channel in confirm mode, publishing many messages per round of acks."""

    def __init__(self, url: str, confirm_timeout: float = 30.0) -> None:
        import amqp

        parts = urlsplit(url)
        self.timeout = confirm_timeout
        self.connection = amqp.Connection(
            host=f"{parts.hostname or 'localhost'}:{parts.port or 5672}",
            userid=unquote(parts.username or "guest"),
            password=unquote(parts.password or "guest"),
            virtual_host=unquote(parts.path[1:]) if len(parts.path) > 1 else "/",
            heartbeat=0,
        )
        self.connection.connect()
        with connect(url) as kombu_conn:
            declare_topology(kombu_conn)
        self.channel = self.connection.channel()
        self.channel.confirm_select()
        self.published = 0
        self.confirmed = 0
        self.nacked = False
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self.confirmed = max(self.confirmed, delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self.nacked = True

    def publish_confirmed(self, messages: list[EncodedEvent]) -> None:
        import amqp

        for event in messages:
            message = amqp.Message(
                event.payload.encode(),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event.id,
                type=event.type,
            )
            self.channel.basic_publish(message, exchange=EVENTS_EXCHANGE, routing_key=event.type)
            self.published += 1
        deadline = time.monotonic() + self.timeout
        while self.confirmed < self.published:
            if self.nacked:
                raise ConnectionError("the broker refused (nacked) a published event")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("publisher confirms did not arrive in time")
            self.connection.drain_events(timeout=remaining)
        if self.nacked:
            raise ConnectionError("the broker refused (nacked) a published event")

    def close(self) -> None:
        try:
            self.connection.collect()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the cause
            log.debug("closing batch publisher failed", exc_info=True)


class EventConsumer(ConsumerMixin):
    """Consumes a service's queues and runs its handlers exactly once per event id."""

    def __init__(
        self,
        service: str,
        url: str,
        session_factory: sessionmaker[Session],
        inbox_table: Any,
        handlers: dict[str, Handler],
        *,
        prefetch: int = 20,
    ) -> None:
        self.service = service
        self.url = url
        self.connection = connect(url)
        self.session_factory = session_factory
        self.inbox_table = inbox_table
        self.handlers = handlers
        self.prefetch = prefetch
        self.amqp = is_amqp(url)
        self.subscriptions = subscriptions_of(service)
        self._stop = threading.Event()

    def get_consumers(self, Consumer, channel):  # type: ignore[no-untyped-def] # kombu's signature
        # On the channel kombu's reconnect loop manages: a second connection opened here could fail
        # outside that loop and end the consumer thread (found by tests/reliability/test_faults.py).
        declare_topology(channel.connection.client, channel)
        return [
            Consumer(
                queues=[_queue(sub, self.amqp)],
                callbacks=[self._make_callback(sub)],
                accept=["json"],
                prefetch_count=self.prefetch,
            )
            for sub in self.subscriptions
        ]

    def _make_callback(self, sub: Subscription) -> Callable[[Any, Any], None]:
        def on_message(body: Any, message: Any) -> None:
            self.handle_message(sub, body, message)

        return on_message

    def handle_message(self, sub: Subscription, body: Any, message: Any) -> None:
        try:
            event = validate_event(body if isinstance(body, dict) else json.loads(body))
        except (InvalidEnvelope, ValueError, TypeError) as exc:
            log.error("invalid envelope dead-lettered", extra={"fields": {"queue": sub.queue, "error": str(exc)}})
            self._dead_letter(sub, body, message)
            return
        handler = self.handlers.get(event.type)
        if handler is None:
            log.error("no handler for event type", extra={"fields": {"queue": sub.queue, "type": event.type}})
            self._dead_letter(sub, body, message)
            return
        started = time.perf_counter()
        try:
            with tracing.event_context(event.id, event.type, event.traceparent, event.correlationid):
                handled = self._handle_once(sub.queue, event, handler)
        except Exception:  # noqa: BLE001 - any handler failure means: retry, then dead-letter
            log.exception("handler failed", extra={"fields": {"event_id": event.id, "type": event.type}})
            metrics.EVENTS_CONSUMED.labels(self.service, event.type, "failed").inc()
            self._retry(sub, body, message)
            return
        message.ack()
        metrics.EVENTS_CONSUMED.labels(self.service, event.type, "handled" if handled else "duplicate").inc()
        metrics.EVENT_HANDLING_SECONDS.labels(self.service, event.type).observe(time.perf_counter() - started)

    def _handle_once(self, consumer: str, event: Event, handler: Handler) -> bool:
        session = self.session_factory()
        try:
            if not inbox.claim(session, self.inbox_table, consumer, event):
                session.rollback()
                return False
            handler(session, event)
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            if inbox.seen(session, self.inbox_table, consumer, event.id):
                return False
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _retry(self, sub: Subscription, body: Any, message: Any) -> None:
        if self.amqp:
            message.requeue()  # the quorum queue counts deliveries and dead-letters at the limit
            return
        count = int((message.headers or {}).get(DELIVERY_COUNT_HEADER, 1))
        if count >= DELIVERY_LIMIT:
            self._dead_letter(sub, body, message)
            return
        producer = Producer(message.channel, serializer="json")
        producer.publish(
            body,
            exchange="",
            routing_key=sub.queue,
            headers={**(message.headers or {}), DELIVERY_COUNT_HEADER: count + 1},
            delivery_mode=2,
        )
        message.ack()

    def _dead_letter(self, sub: Subscription, body: Any, message: Any) -> None:
        metrics.EVENTS_DEAD_LETTERED.labels(self.service, sub.queue).inc()
        if self.amqp:
            message.reject(requeue=False)
            return
        producer = Producer(message.channel, serializer="json")
        producer.publish(body, exchange=DLX, routing_key=sub.queue, headers=message.headers or {}, delivery_mode=2)
        message.ack()

    def stop(self) -> None:
        self.should_stop = True
