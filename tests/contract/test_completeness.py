"""The contracts cover every edge: what the code publishes, what the topology subscribes, what the pacts pin.

- Each service's `domain/events.py` declares exactly the event types of its own that its code names.
- Every other event type a service's code names is one it consumes (shared/topology.py).
- Every published type is pinned by a message pact; every subscription (consumer, type) has its
  interaction in the pact between that consumer and the producer; nobody subscribes to a type that
  no service publishes.
"""
from __future__ import annotations

import ast

import pytest

from shared.catalogue import message_interactions, published_by_service
from shared.envelope import EVENT_TYPE_RE
from shared.settings import SERVICE_PORTS, repo_root
from shared.topology import SUBSCRIPTIONS, consumed_event_types
from tests.contract.consumers import all_expectations
from tests.contract.harness import PACT_DIR

ROOT = repo_root()
PUBLISHED = published_by_service(ROOT)
PUBLISHED_TYPES = {t for types in PUBLISHED.values() for t in types}
SUBSCRIBED = {(s.consumer, t) for s in SUBSCRIPTIONS for t in s.event_types}
PINNED = {(consumer, event_type) for consumer, event_type, _ in message_interactions(PACT_DIR)}


def event_types_named_in(service: str) -> set[str]:
    """Every string literal shaped like an event type in the service's code (tests and migrations aside)."""
    folder = ROOT / "services" / service
    found = set()
    for path in folder.rglob("*.py"):
        if {"tests", "migrations"} & set(path.relative_to(folder).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and EVENT_TYPE_RE.match(node.value):
                found.add(node.value)
    return found


@pytest.mark.parametrize("service", list(SERVICE_PORTS))
def test_a_service_declares_exactly_the_event_types_its_code_publishes(service: str) -> None:
    own = {t for t in event_types_named_in(service) if t.startswith(service + ".")}
    assert own == set(PUBLISHED[service]), "services/<service>/domain/events.py PUBLISHED must list what the code emits"


@pytest.mark.parametrize("service", list(SERVICE_PORTS))
def test_every_other_event_type_a_service_names_is_one_it_consumes(service: str) -> None:
    foreign = {t for t in event_types_named_in(service) if not t.startswith(service + ".")}
    assert not foreign - consumed_event_types(service)


def test_every_published_event_type_is_pinned_by_a_pact() -> None:
    assert not PUBLISHED_TYPES - {event_type for _, event_type in PINNED}


def test_nobody_subscribes_to_an_event_type_nobody_publishes() -> None:
    assert not {t for _, t in SUBSCRIBED} - PUBLISHED_TYPES


def test_every_subscription_has_its_message_pact() -> None:
    assert not SUBSCRIBED - PINNED


def test_every_consumer_expectation_is_a_subscription() -> None:
    assert not {(e.consumer, e.event_type) for e in all_expectations()} - SUBSCRIBED

