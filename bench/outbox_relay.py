"""Outbox relay throughput: events/s published and confirmed, next to kombu with per-message confirms.

Run: `python -m bench.outbox_relay [N]` (defaults to 20,000 events). Uses RabbitMQ when AMQP_URL is
set (a private virtual host), otherwise the embedded broker; a private PostgreSQL database on
TEST_POSTGRES_URL's server, otherwise on an embedded one.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from kombu import Connection, Producer
from sqlalchemy import MetaData

from bench._harness import load
from shared import bus, outbox, testkit
from shared.db import make_engine, make_session_factory, platform_tables
from shared.envelope import new_event
from shared.outbox import OutboxRelay

GOAL = 5000.0


def _fill(session_factory, table, n: int) -> list[dict]:
    events = [new_event("identity", "identity.organisation.updated.v1", f"org-{i}", {"org_id": f"org-{i}", "n": i}) for i in range(n)]
    with session_factory() as session:
        for event in events:
            outbox.record(session, table, event)
        session.commit()
    return [e.to_dict() for e in events]


def _kombu_per_message(url: str, bodies: list[dict]) -> float:
    with bus.connect(url) as conn:
        bus.declare_topology(conn)
        producer = Producer(conn.default_channel, exchange=bus.EVENTS, serializer="json")
        started = time.perf_counter()
        for body in bodies:
            producer.publish(body, routing_key=body["type"], delivery_mode=2, retry=False)
        return len(bodies) / (time.perf_counter() - started)


def _purge(url: str) -> None:
    with Connection(url) as conn:
        bus.declare_topology(conn)
        for sub in bus.SUBSCRIPTIONS:
            conn.default_channel.queue_purge(sub.queue)


def main(n: int = 20000) -> dict[str, float]:
    cleanups = []
    amqp, _ = testkit.amqp_base_url()
    if amqp:
        vhost = testkit.TemporaryVhost(amqp).create()
        cleanups.append(vhost.drop)
        url = vhost.url
    else:
        broker = testkit.EmbeddedBroker(testkit.free_port(), Path(tempfile.mkdtemp())).start()
        cleanups.append(broker.stop)
        url = broker.url
    admin, reason = testkit.postgres_admin_url()
    if admin is None:
        raise SystemExit(reason)
    database = testkit.TemporaryPostgres(admin).create()
    cleanups.append(database.drop)
    db_url = database.url
    try:
        metadata = MetaData()
        tables = platform_tables(metadata)
        engine = make_engine(db_url)
        metadata.create_all(engine)
        bodies = _fill(make_session_factory(engine), tables.outbox, n)
        relay = OutboxRelay("identity", engine, tables.outbox, bus.EventPublisher(url), batch_size=1000)
        started = time.perf_counter()
        published = 0
        while published < n:
            published += relay.publish_pending()
        relay_rate = n / (time.perf_counter() - started)
        relay.publisher.close()
        _purge(url)
        reference = _kombu_per_message(url, bodies[: min(n, 5000)])
        _purge(url)
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
    broker_name = "RabbitMQ" if amqp else "embedded broker"
    db_name = "PostgreSQL"
    print(f"outbox relay ({broker_name}, {db_name}): {relay_rate:,.0f} events/s published+confirmed+marked "
          f"(goal {GOAL:,.0f}: {relay_rate / GOAL:.2f}x)  ({load()})")
    print(f"kombu per-message confirms, same broker: {reference:,.0f} events/s (relay / kombu = {relay_rate / reference:.2f}x)  ({load()})")
    return {"relay_events_per_s": relay_rate, "kombu_per_message_per_s": reference}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
