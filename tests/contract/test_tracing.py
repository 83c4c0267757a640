"""One request through the gateway is one trace across the services and their events.

The chain: a tenant admin authorizes a tax ID at licensing through the gateway → licensing's outbox
→ entitlements grants a seat (consumer) → its outbox → licensing records the sync (consumer). It runs
in one process, so one `InMemorySpanExporter` sees every span: the gateway and licensing apps on
local ports (werkzeug threads, real HTTP between them), each service's outbox relay and consumer as
threads on a private embedded broker (real publish and consume, the trace context travelling in the
envelope's `traceparent`). Processes of their own would each need their own exporter.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.serving import make_server

from gateway.app import create_app
from gateway.config import GatewayConfig
from services.licensing.adapters.orm import licensed_seats
from shared import bus, tracing
from shared.db import make_engine
from shared.outbox import OutboxRelay
from shared.testkit import EmbeddedBroker, free_port, wait_until
from shared.uow import UnitOfWork
from tests.contract.consumers import TAX_ID
from tests.contract.harness import Service
from tests.contract.providers import entitlements as entitlements_driver
from tests.contract.providers import licensing as licensing_driver


@pytest.fixture()
def spans() -> Iterator[InMemorySpanExporter]:
    tracing.configure("contract-tests")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "the suite's tracing must install the SDK tracer provider"
    exporter = InMemorySpanExporter()
    tracing.export_to(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@contextmanager
def served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def worker(service: Service) -> Iterator[None]:
    """The service's outbox relay and event consumer (its worker's handler map), as threads."""

    def wrap(handler: Any) -> bus.Handler:
        return lambda session, event: handler(UnitOfWork(service.name, session, service.context.tables, service.context.clock), event)

    relay = OutboxRelay(service.name, make_engine(service.database_url), service.context.tables.outbox,
                        bus.EventPublisher(service.broker_url))
    consumer = bus.EventConsumer(service.name, service.broker_url, service.context.session_factory, service.context.tables.inbox,
                                 {event_type: wrap(handler) for event_type, handler in service.handlers.items()})
    threads = [threading.Thread(target=relay.run, daemon=True), threading.Thread(target=consumer.run, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        relay.stop()
        consumer.stop()
        for thread in threads:
            thread.join(10)


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    [span] = [s for s in spans if s.name == name]
    return span


def test_an_authorization_through_the_gateway_is_one_trace_across_services_and_events(spans: InMemorySpanExporter,
                                                                                         tmp_path: Path) -> None:
    broker = EmbeddedBroker(free_port(), tmp_path / "broker").start()
    licensing = Service("licensing", tmp_path / "licensing", broker_url=broker.url)
    entitlements = Service("entitlements", tmp_path / "entitlements", broker_url=broker.url, tokens=licensing.tokens)
    entitlements_driver.activated_order(entitlements)
    try:
        with ExitStack() as running:
            running.enter_context(worker(entitlements))
            running.enter_context(worker(licensing))
            licensing_url = running.enter_context(served(licensing.app))
            config = GatewayConfig(service_urls={"licensing": licensing_url})
            gateway_url = running.enter_context(served(create_app(config, verifier=licensing.tokens.verifier())))
            licensing_driver.enterprise_imported_without_seats(licensing)
            wait_until(lambda: licensing.count(licensed_seats) == 1, what="licensing to learn the delivered seats by event")
            spans.clear()

            answer = requests.post(f"{gateway_url}/licensing/v1/authorizations", timeout=10,
                                   json={"service_group": "invoice_issuing", "tax_ids": [TAX_ID]},
                                   headers=licensing_driver.tenant_admin(licensing))
            assert answer.status_code == 200, answer.text
            wait_until(lambda: licensing_driver.license_of(licensing).sync_status == "succeeded", timeout=20,
                       what="entitlements' grant to reach licensing")
    finally:
        broker.stop()

    finished = list(spans.get_finished_spans())
    request = one(finished, "POST /licensing/v1/…")
    trace_id = request.context.trace_id
    chain = [s for s in finished if s.context.trace_id == trace_id]
    served_by_licensing = one(chain, "POST /licensing/v1/authorizations")
    granted_by_entitlements = one(chain, "consume licensing.license.authorized.v1")
    synced_by_licensing = one(chain, "consume entitlements.seat.granted.v1")
    assert request.parent is None
    assert served_by_licensing.parent.span_id == request.context.span_id
    assert granted_by_entitlements.parent.span_id == served_by_licensing.context.span_id
    assert synced_by_licensing.parent.span_id == granted_by_entitlements.context.span_id
    assert sorted(s.name for s in chain) == sorted(s.name for s in finished), "every span belongs to the one trace"
