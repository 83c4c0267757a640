"""Reconciliation of a suite's event flow, read straight from every service's database.

`event_flow(database_urls)` answers, for the suite as it stands: how many events each producer
wrote to its outbox and how many are still unpublished; for every subscription in
`shared.topology`, how many of the events of its types (from every producer) the consuming
service's inbox lacks. A lost event is an outbox row never published, or a published event a
subscribed consumer never recorded as handled.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

from shared.topology import SUBSCRIPTIONS


@dataclass
class EventFlow:
    produced: Counter = field(default_factory=Counter)  # producer -> outbox rows
    unpublished: Counter = field(default_factory=Counter)  # producer -> rows without published_at
    expected: Counter = field(default_factory=Counter)  # queue -> events of its types produced
    handled: Counter = field(default_factory=Counter)  # queue -> of those, recorded in its inbox
    missing: dict[str, list[str]] = field(default_factory=dict)  # queue -> event ids it lacks

    @property
    def lost(self) -> int:
        return sum(self.unpublished.values()) + sum(len(ids) for ids in self.missing.values())

    def summary(self) -> str:
        lines = [
            f"  outbox  {producer:<13} {count:>5} events, {self.unpublished[producer]} unpublished"
            for producer, count in sorted(self.produced.items())
        ]
        lines += [
            f"  inbox   {queue:<32} {self.handled[queue]:>5}/{self.expected[queue]:<5} handled"
            for queue in sorted(self.expected)
        ]
        return "\n".join(lines)


def event_flow(database_urls: dict[str, str]) -> EventFlow:
    flow = EventFlow()
    outboxes: dict[str, list[tuple[str, str]]] = {}
    inboxes: dict[str, set[tuple[str, str]]] = {}
    for service, url in database_urls.items():
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                outboxes[service] = [
                    (row.event_id, row.type)
                    for row in conn.execute(text("SELECT event_id, type FROM outbox"))
                ]
                flow.unpublished[service] = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
                inboxes[service] = {(row.consumer, row.event_id) for row in conn.execute(text("SELECT consumer, event_id FROM inbox"))}
        finally:
            engine.dispose()
        flow.produced[service] = len(outboxes[service])
    for sub in SUBSCRIPTIONS:
        if sub.consumer not in inboxes:
            continue
        wanted = [event_id for rows in outboxes.values() for event_id, kind in rows if kind in sub.event_types]
        lacking = [event_id for event_id in wanted if (sub.queue, event_id) not in inboxes[sub.consumer]]
        flow.expected[sub.queue] = len(wanted)
        flow.handled[sub.queue] = len(wanted) - len(lacking)
        if lacking:
            flow.missing[sub.queue] = lacking
    return flow


def scalar(url: str, sql: str, **params: Any) -> Any:
    """One value read from a database by URL (a fresh engine, disposed of)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()
