"""OpenTelemetry set-up and the trace/correlation context that travels in HTTP headers and events.

Tracing is switched on by `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP over HTTP) or `OTEL_TRACES_EXPORTER=console`.
Without either, spans are still created (so trace ids appear in logs and envelopes) but not exported.
"""
from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_causation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("causation_id", default=None)
_configured = False


def configure(service_name: str) -> None:
    """Install the tracer provider once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)


def tracer(name: str = "suite") -> trace.Tracer:
    return trace.get_tracer(name)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def current_trace_ids() -> tuple[str | None, str | None]:
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def current_correlation_id() -> str | None:
    return _correlation_id.get()


def current_causation_id() -> str | None:
    return _causation_id.get()


def set_correlation_id(value: str | None) -> contextvars.Token:
    return _correlation_id.set(value)


@contextmanager
def event_context(event_id: str, event_type: str, traceparent: str | None, correlation_id: str | None) -> Iterator[None]:
    """Run a consumer's handling of one event inside the producer's trace, as a child span."""
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    token = otel_context.attach(parent)
    corr = _correlation_id.set(correlation_id or event_id)
    cause = _causation_id.set(event_id)
    try:
        with tracer().start_as_current_span(f"consume {event_type}", kind=trace.SpanKind.CONSUMER) as span:
            span.set_attribute("messaging.message.id", event_id)
            span.set_attribute("messaging.destination.name", event_type)
            yield
    finally:
        _causation_id.reset(cause)
        _correlation_id.reset(corr)
        otel_context.detach(token)
