"""OpenTelemetry set-up and the trace/correlation context that travels in HTTP headers and events.

Tracing is switched on by `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP over HTTP) or `OTEL_TRACES_EXPORTER=console`.
Without either, nothing is exported, but every request still has a trace context (so trace ids appear in
logs and envelopes and travel on): the server spans of the APIs and the gateway are then non-recording
spans with ids of their own (`unrecorded_span`), ~25 µs of CPU a request cheaper than SDK spans that
nobody would see. Consumers' spans stay SDK spans either way.

`instrument_flask(app)` gives every request of a service's API its server span, continuing the caller's
trace (the gateway's `traceparent`). It replaces opentelemetry-instrumentation-flask, which cost ~0.2 ms of
CPU a request (15–20% of a usage deduction: it rebuilds the full URL to match its exclusions, collects a
dozen WSGI attributes, wraps the WSGI app and `start_response`, and attaches a second context for
SQLcommenter). The span keeps the same name (`METHOD /route/rule`), kind and parent, and carries the method,
route, path and status code; bench/README.md ("Helper A") has the figures.
"""
from __future__ import annotations

import contextvars
import os
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

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
        _exporting[0] = True
    elif os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        _exporting[0] = True
    trace.set_tracer_provider(provider)


_exporting = [False]


def export_to(processor: Any) -> None:
    """Send this process's spans to `processor` too (tests: an in-memory exporter); server spans then record."""
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "call configure() first"
    provider.add_span_processor(processor)
    _exporting[0] = True


def exporting() -> bool:
    """Whether spans reach an exporter; if not, server spans need not be recorded."""
    return _exporting[0]


def unrecorded_span(parent: otel_context.Context | None) -> trace.Span:
    """A non-recording span with a span id of its own, in `parent`'s trace (or a new, sampled one).

    Injected into requests and envelopes it reads as a real span would, so the services' spans and a
    later exporter see one trace; it just keeps no attributes, timings or events.
    """
    above = trace.get_current_span(parent).get_span_context() if parent is not None else None
    if above is not None and above.is_valid:
        trace_id, flags, state = above.trace_id, above.trace_flags, above.trace_state
    else:
        trace_id, flags, state = _nonzero(128), trace.TraceFlags(trace.TraceFlags.SAMPLED), None
    return trace.NonRecordingSpan(trace.SpanContext(trace_id, _nonzero(64), is_remote=False, trace_flags=flags, trace_state=state))


def _nonzero(bits: int) -> int:
    while True:
        value = random.getrandbits(bits)  # as the SDK's RandomIdGenerator: ids are not secrets
        if value:
            return value


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


def reset_correlation_id(token: contextvars.Token) -> None:
    _correlation_id.reset(token)


def start_server_span(environ: dict[str, Any], method: str, rule: str | None, path: str) -> tuple[trace.Span, object]:
    """A server span for one request, continuing the caller's trace (`traceparent` in the WSGI environ), made current."""
    carrier = {"traceparent": environ["HTTP_TRACEPARENT"]} if "HTTP_TRACEPARENT" in environ else None
    if carrier is not None and "HTTP_TRACESTATE" in environ:
        carrier["tracestate"] = environ["HTTP_TRACESTATE"]
    parent = propagate.extract(carrier) if carrier is not None else None
    if not _exporting[0]:
        span = unrecorded_span(parent)
        return span, otel_context.attach(trace.set_span_in_context(span))
    attributes = {"http.request.method": method, "url.path": path}
    if rule is not None:
        attributes["http.route"] = rule
    span = _server_tracer().start_span(
        f"{method} {rule}" if rule is not None else method, context=parent, kind=trace.SpanKind.SERVER, attributes=attributes,
    )
    return span, otel_context.attach(trace.set_span_in_context(span))


def end_server_span(span: trace.Span, token: object, status: int | None, error: BaseException | None = None) -> None:
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if error is not None:
        span.record_exception(error)
    if error is not None or (status is not None and status >= 500):
        span.set_status(trace.StatusCode.ERROR)
    otel_context.detach(token)  # type: ignore[arg-type]
    span.end()


_server_tracers: list[trace.Tracer] = []


def _server_tracer() -> trace.Tracer:
    """Made once: `trace.get_tracer` builds and compares an instrumentation scope on every call (~40 µs)."""
    if not _server_tracers:
        _server_tracers.append(trace.get_tracer("shared.web"))
    return _server_tracers[0]


UNTRACED = frozenset(("/healthz", "/readyz", "/metrics"))
_SPAN, _TOKEN, _STATUS = "suite.span", "suite.span_token", "suite.span_status"


def instrument_flask(app: Any, untraced: Iterable[str] = UNTRACED) -> None:
    """A server span per request (except `untraced` paths), current from the first before_request hook to teardown."""
    from flask import request

    skipped = frozenset(untraced)

    def start_span() -> None:
        if request.path in skipped:
            return
        environ = request.environ
        rule = request.url_rule.rule if request.url_rule is not None else None
        environ[_SPAN], environ[_TOKEN] = start_server_span(environ, request.method, rule, request.path)

    def record_status(response: Any) -> Any:
        environ = request.environ
        if _SPAN in environ:
            environ[_STATUS] = response.status_code
        return response

    def end_span(error: BaseException | None) -> None:
        environ = request.environ
        span = environ.pop(_SPAN, None)
        if span is not None:
            end_server_span(span, environ.pop(_TOKEN), environ.pop(_STATUS, None), error)

    # first before_request hook (so authentication and the request's logs run inside the span), last
    # after_request hook (so it sees the status the transaction's end may have changed), teardown last.
    app.before_request_funcs.setdefault(None, []).insert(0, start_span)
    app.after_request_funcs.setdefault(None, []).insert(0, record_status)
    app.teardown_request_funcs.setdefault(None, []).insert(0, end_span)
