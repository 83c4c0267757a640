"""Server spans that no exporter would see are non-recording, but keep the trace travelling."""
from __future__ import annotations

from opentelemetry import propagate, trace

from shared import tracing

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_an_unrecorded_span_continues_the_callers_trace_with_a_span_id_of_its_own():
    parent = propagate.extract({"traceparent": TRACEPARENT})
    span = tracing.unrecorded_span(parent)
    context = span.get_span_context()
    assert not span.is_recording() and context.is_valid
    assert format(context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(context.span_id, "016x") != "b7ad6b7169203331" and context.trace_flags.sampled


def test_an_unrecorded_span_without_a_caller_starts_a_sampled_trace_that_is_injected():
    first, second = tracing.unrecorded_span(None), tracing.unrecorded_span(None)
    assert first.get_span_context().is_valid and first.get_span_context().trace_flags.sampled
    assert first.get_span_context().trace_id != second.get_span_context().trace_id
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(first))
    version, trace_id, span_id, flags = carrier["traceparent"].split("-")
    assert (version, flags) == ("00", "01")
    assert int(trace_id, 16) == first.get_span_context().trace_id and int(span_id, 16) == first.get_span_context().span_id


def test_a_server_span_records_only_once_something_exports(monkeypatch):
    monkeypatch.setattr(tracing, "_exporting", [False])
    environ = {"HTTP_TRACEPARENT": TRACEPARENT}
    span, token = tracing.start_server_span(environ, "GET", "/x", "/x")
    try:
        assert not span.is_recording()
        assert tracing.current_trace_ids()[0] == "0af7651916cd43dd8448eb211c80319c"  # logs and envelopes still get it
    finally:
        tracing.end_server_span(span, token, 200)
    tracing.configure("shared-tests")
    monkeypatch.setattr(tracing, "_exporting", [True])
    span, token = tracing.start_server_span(environ, "GET", "/x", "/x")
    try:
        assert span.is_recording()
    finally:
        tracing.end_server_span(span, token, 200)
