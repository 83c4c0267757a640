"""The event bus on kombu: RabbitMQ when `AMQP_URL` is set, the embedded Redis-protocol broker otherwise.

`declare_topology` declares everything in `shared.topology`. `EventPublisher` publishes with
publisher confirms. `EventConsumer` runs a service's handlers: each event is handled in one database
transaction together with its inbox row, and acked only after that commit. A failing handler is
redelivered; after `DELIVERY_LIMIT` deliveries the message is dead-lettered (natively by RabbitMQ's
quorum queues; emulated with a delivery-count header on the embedded broker, which has no DLX).

Batches (RabbitMQ): after a delivery the consumer also takes the deliveries already waiting on its
connection (up to `batch_size`, `CONSUMER_BATCH`, default 50; never waiting for more) and handles
them in delivery order in one transaction: one inbox insert for all, each handler, one outbox
insert for all their events, one commit, then the acks. A run of consecutive events of one type
whose service gave a batch handler (`batch_handlers`) is handed to it at once. If anything in the batch fails, the
transaction rolls back and each delivery is handled again one by one in its own transaction, so a
poison message takes the usual retry / dead-letter path alone and the others commit. Order is the
delivery order either way. `CONSUMER_BATCH=1` (and the embedded broker) handles one by one.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
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
BatchHandler = Callable[[Session, list[Event]], None]


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
        prefetch: int | None = None,
        batch_size: int | None = None,
        batch_handlers: dict[str, BatchHandler] | None = None,
    ) -> None:
        self.service = service
        self.url = url
        self.connection = connect(url)
        self.session_factory = session_factory
        self.inbox_table = inbox_table
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
        self.amqp = is_amqp(url)
        batch_size = int(os.environ.get("CONSUMER_BATCH", "50")) if batch_size is None else batch_size
        self.batch_size = max(1, batch_size) if self.amqp else 1
        self.prefetch = prefetch if prefetch is not None else max(20, self.batch_size)
        self.subscriptions = subscriptions_of(service)
        self._stop = threading.Event()
        self._pending: list[tuple[Subscription, Any, Any]] = []

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
            if self.batch_size > 1:
                self._pending.append((sub, body, message))  # handled by `consume` once nothing more is waiting
            else:
                self.handle_message(sub, body, message)

        return on_message

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):  # type: ignore[no-untyped-def] # kombu's
        """ConsumerMixin.consume, collecting what is already waiting after each delivery into one batch."""
        if self.batch_size <= 1:
            yield from super().consume(limit=limit, timeout=timeout, safety_interval=safety_interval, **kwargs)
            return
        elapsed = 0
        self._pending.clear()  # deliveries of a broken connection come back unacked
        with self.consumer_context(**kwargs) as (conn, _channel, _consumers):
            # Deliveries may already be pending here: they can arrive while kombu sets up the consumers.
            for _ in range(limit) if limit else itertools.count():
                if self.should_stop:
                    break
                self.on_iteration()
                try:
                    if not self._pending:
                        conn.drain_events(timeout=safety_interval)
                    while len(self._pending) < self.batch_size:
                        conn.drain_events(timeout=0)  # only what has already arrived: never wait for a batch
                except TimeoutError:
                    if not self._pending:
                        conn.heartbeat_check()
                        elapsed += safety_interval
                        if timeout and elapsed >= timeout:
                            raise
                        continue
                except OSError:
                    self._pending.clear()
                    if not self.should_stop:
                        raise
                    continue
                batch, self._pending = self._pending, []
                self.handle_batch(batch)
                yield
                elapsed = 0

    def handle_batch(self, batch: list[tuple[Subscription, Any, Any]]) -> None:
        """Handles deliveries in one transaction; on any failure, one by one (see the module's doc).

        A batch of one takes this path too: one inbox statement (insert … on conflict) instead of two.
        """
        ready: list[tuple[Subscription, Any, Any, Event, Handler]] = []
        for sub, body, message in batch:
            try:
                event = validate_event(body if isinstance(body, dict) else json.loads(body))
            except (InvalidEnvelope, ValueError, TypeError):
                self.handle_message(sub, body, message)  # dead-letters it, as one by one
                continue
            handler = self.handlers.get(event.type)
            if handler is None:
                self.handle_message(sub, body, message)
                continue
            ready.append((sub, body, message, event, handler))
        if not ready:
            return
        started = time.perf_counter()
        try:
            handled = self._handle_batch_once(ready)
        except Exception:  # noqa: BLE001 - the one-by-one path retries and dead-letters each failing event alone
            if len(ready) == 1:  # already alone: retried, then dead-lettered, as one by one
                sub, body, message, event, _handler = ready[0]
                log.exception("handler failed", extra={"fields": {"event_id": event.id, "type": event.type}})
                metrics.EVENTS_CONSUMED.labels(self.service, event.type, "failed").inc()
                self._retry(sub, body, message)
                return
            log.warning("batch failed; handling its events one by one", exc_info=True, extra={"fields": {"events": len(ready)}})
            for sub, body, message, _event, _handler in ready:
                self.handle_message(sub, body, message)
            return
        each = (time.perf_counter() - started) / len(ready)
        for (_sub, _body, message, event, _handler), was_handled in zip(ready, handled, strict=True):
            message.ack()
            metrics.EVENTS_CONSUMED.labels(self.service, event.type, "handled" if was_handled else "duplicate").inc()
            metrics.EVENT_HANDLING_SECONDS.labels(self.service, event.type).observe(each)

    def _handle_batch_once(self, ready: list[tuple[Subscription, Any, Any, Event, Handler]]) -> list[bool]:
        from shared import outbox  # shared.outbox imports this module

        session = self.session_factory()
        try:
            outbox.buffered(session)
            claimed = inbox.claim_many(session, self.inbox_table, [(sub.queue, event) for sub, _b, _m, event, _h in ready])
            handled, todo = [], []
            for sub, _body, _message, event, handler in ready:
                key = (sub.queue, event.id)
                handled.append(key in claimed)
                if key in claimed:
                    claimed.discard(key)  # the same event twice in one batch: handled once
                    todo.append((event, handler))
            for run_type, run in itertools.groupby(todo, key=lambda item: item[0].type):
                events = [event for event, _handler in run]
                batch_handler = self.batch_handlers.get(run_type)
                if batch_handler is not None and len(events) > 1:  # consecutive events of one type, at once
                    first = events[0]
                    with tracing.event_context(first.id, first.type, first.traceparent, first.correlationid):
                        batch_handler(session, events)
                    continue
                for event in events:
                    with tracing.event_context(event.id, event.type, event.traceparent, event.correlationid):
                        self.handlers[event.type](session, event)
            outbox.flush(session)
            session.commit()
            return handled
        except BaseException:
            outbox.discard(session)
            session.rollback()
            raise
        finally:
            session.close()

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
            metrics.EVENTS_REDELIVERED.labels(self.service, sub.queue).inc()
            message.requeue()  # the quorum queue counts deliveries and dead-letters at the limit
            return
        count = int((message.headers or {}).get(DELIVERY_COUNT_HEADER, 1))
        if count >= DELIVERY_LIMIT:
            self._dead_letter(sub, body, message)
            return
        metrics.EVENTS_REDELIVERED.labels(self.service, sub.queue).inc()
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
