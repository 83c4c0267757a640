"""Message pacts (V4): one per consumer and producer, one interaction per event type the consumer subscribes to.

Consumer side: each expected envelope (tests/contract/consumers/) is reified by pact and fed to the
consumer's real handler (its worker's handler map) on a scratch database; the handler must take it
and do its work; the pact file is then written to tests/contract/pacts/. Producer side: for each
interaction the provider state (tests/contract/providers/) drives the producer's real code, and the
envelope it wrote to its outbox (shared/envelope.py's serialiser) is what pact verifies.
"""
from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, Verifier

from tests.contract.consumers import MessageExpectation, all_expectations
from tests.contract.harness import MESSAGES, Service, verify_pacts, write_pact
from tests.contract.matchers import build
from tests.contract.providers import all_states

EXPECTATIONS = all_expectations()
PAIRS = sorted({(e.consumer, e.producer) for e in EXPECTATIONS})
PRODUCERS = sorted({producer for _, producer in PAIRS})


def message_pact(consumer: str, producer: str) -> tuple[Pact, dict[str, MessageExpectation]]:
    pact = Pact(consumer, producer).with_specification("V4")
    by_type = {}
    for expectation in EXPECTATIONS:
        if (expectation.consumer, expectation.producer) != (consumer, producer):
            continue
        body, rules = build(expectation.envelope())
        interaction = pact.upon_receiving(expectation.description, "Async").given(expectation.state)
        interaction.with_body(body, content_type="application/json")
        if rules:
            interaction.with_matching_rules({"body": rules})
        by_type[expectation.event_type] = expectation
    return pact, by_type


@pytest.mark.parametrize(("consumer", "producer"), PAIRS, ids=[f"{c}-from-{p}" for c, p in PAIRS])
def test_consumer_handles_the_events_it_expects(consumer: str, producer: str, tmp_path: Path) -> None:
    pact, by_type = message_pact(consumer, producer)

    def handle(body: str | bytes | None, metadata: dict[str, Any]) -> None:
        message = json.loads(body or "{}")
        expectation = by_type[message["type"]]
        service = Service(consumer, tmp_path / message["type"])
        if expectation.prepare:
            expectation.prepare(service)
        assert service.handle(message), "the inbox dropped a first delivery"
        if expectation.check:
            expectation.check(service, message)

    pact.verify(handle, "Async")
    write_pact(pact, consumer, producer)


@pytest.mark.parametrize("producer", PRODUCERS)
def test_producer_emits_what_its_consumers_expect(producer: str, tmp_path: Path) -> None:
    states = all_states()[producer]
    current: dict[str, Service] = {}
    failures: list[str] = []
    built: dict[str, Service] = {}

    def set_up(state: str, action: str, parameters: dict[str, Any] | None) -> None:
        """A state several interactions share is set up once: the interactions only read its outbox."""
        if state not in built:
            service = Service(producer, tmp_path / f"state-{len(built)}")
            try:
                states[state](service)
            except Exception:
                failures.append(f"provider state {state!r}:\n{traceback.format_exc()}")
                raise
            built[state] = service
        current["service"] = built[state]

    def produce(name: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
        payload = current["service"].last_payload(name.split(":", 1)[0])
        return {"contents": payload.encode(), "metadata": None, "content_type": "application/json"}

    verifier = Verifier(producer).message_handler(produce).state_handler(set_up)
    verify_pacts(verifier, producer, MESSAGES, failures)
