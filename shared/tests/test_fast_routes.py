"""shared/web.py fast routes and shared/tracing.py server spans, on an app built by `create_app`.

A fast route answers without Flask's request machinery but must look like any other request: the token
verified, `X-Request-ID`, problem+json errors, metrics, and a server span continuing the caller's trace;
whatever it declines goes to Flask with its body intact.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import MetaData

from shared import metrics, request_guard, tracing
from shared.db import make_engine, make_session_factory, platform_tables
from shared.errors import Problem
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.web import FastAnswer, FastRequest, ServiceContext, add_fast_route, create_app

PATH = "/demo/v1/things"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture()
def spans() -> Iterator[InMemorySpanExporter]:
    tracing.configure("shared-tests")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    tracing.export_to(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture()
def app(postgres_url: str, tokens: TokenFactory):
    blp = Blueprint("demo", __name__, url_prefix="/demo/v1")
    seen: list[str] = []

    @blp.route("/things")
    class Things(MethodView):
        def post(self):  # type: ignore[no-untyped-def]
            """The Flask view"""
            seen.append(request.get_data(as_text=True))
            return {"served_by": "flask", "trace": tracing.current_trace_ids()[0]}

    def fast(request_: FastRequest):  # type: ignore[no-untyped-def]
        body = request_.json
        if body.get("decline"):
            return None

        def work() -> FastAnswer:
            if body.get("refuse"):
                raise Problem(409, "refused", "no", available=0)
            if body.get("crash"):
                raise RuntimeError("boom")
            answer = {"served_by": "fast", "sub": request_.principal.sub, "trace": tracing.current_trace_ids()[0],
                      "correlation": tracing.current_correlation_id()}
            return FastAnswer(201, json.dumps(answer), headers=(("Idempotent-Replayed", "true"),))

        return work

    engine = make_engine(postgres_url)
    context = ServiceContext("demo", make_session_factory(engine), platform_tables(MetaData()))
    settings = CommonSettings("demo", postgres_url, "memory://", "http://identity.invalid")
    flask_app = create_app(settings, context, [blp], verifier=tokens.verifier())
    add_fast_route(flask_app, "POST", PATH, fast)
    flask_app.config["seen"] = seen
    return flask_app


def _post(app: Any, body: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return app.test_client().post(PATH, json=body, headers=headers or {}, **kwargs)


def test_a_fast_route_answers_with_the_platforms_headers_and_a_span_in_the_callers_trace(app, tokens, spans):
    headers = {**tokens.headers(sub="user-1"), "traceparent": TRACEPARENT, "X-Request-ID": "req-1",
               "X-Correlation-ID": "corr-1"}
    before = tracing.current_correlation_id()
    counted = metrics.HTTP_REQUESTS.labels("demo", "POST", PATH, "201")
    served_before = counted._value.get()
    answer = _post(app, {"n": 1}, headers)
    assert counted._value.get() == served_before + 1
    assert answer.status_code == 201 and answer.json["served_by"] == "fast" and answer.json["sub"] == "user-1"
    assert answer.headers["X-Request-ID"] == "req-1" and answer.headers["Idempotent-Replayed"] == "true"
    assert answer.headers["Content-Type"] == "application/json" and answer.json["correlation"] == "corr-1"
    [span] = [s for s in spans.get_finished_spans() if s.name == f"POST {PATH}"]
    assert span.kind == trace.SpanKind.SERVER and span.parent.span_id == int(TRACEPARENT[36:52], 16)
    assert format(span.context.trace_id, "032x") == TRACEPARENT[3:35] == answer.json["trace"]
    assert span.attributes["http.response.status_code"] == 201
    assert app.config["seen"] == [] and tracing.current_correlation_id() == before  # the request's id was reset
    assert _post(app, {"n": 2}, tokens.headers()).headers["X-Request-ID"]  # one is made up when none is sent


def test_problems_and_crashes_are_problem_json_as_from_flask(app, tokens):
    refused = _post(app, {"refuse": True}, tokens.headers())
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.json == {"type": "https://errors.suite.example/refused", "title": "Conflict", "status": 409,
                            "detail": "no", "code": "refused", "instance": PATH, "available": 0}
    crashed = _post(app, {"crash": True}, tokens.headers())
    assert crashed.status_code == 500 and crashed.json["code"] == "internal_error"


@pytest.mark.parametrize("case", ["declined", "anonymous", "bad token", "query", "form", "bad json", "nul"])
def test_what_a_fast_route_does_not_take_goes_to_flask_with_its_body(app, tokens, spans, case):
    headers = tokens.headers()
    client = app.test_client()
    if case == "declined":
        answer = client.post(PATH, json={"decline": True}, headers=headers)
    elif case == "anonymous":
        answer = client.post(PATH, json={"n": 1})
    elif case == "bad token":
        answer = client.post(PATH, json={"n": 1}, headers={"Authorization": "Bearer nope"})
    elif case == "query":
        answer = client.post(PATH + "?x=1", json={"n": 1}, headers=headers)
    elif case == "form":
        answer = client.post(PATH, data={"n": "1"}, headers=headers)
    elif case == "bad json":
        answer = client.post(PATH, data="{", content_type="application/json", headers=headers)
    else:
        answer = client.post(PATH, data='{"n": "a\\u0000"}', content_type="application/json", headers=headers)
    expected = {"declined": 200, "anonymous": 200, "bad token": 401, "query": 200, "form": 200, "bad json": 400,
                "nul": 422}[case]
    assert answer.status_code == expected, answer.get_data()
    if expected == 200:
        assert answer.json["served_by"] == "flask" and app.config["seen"][-1] == request_body(case)
    assert len([s for s in spans.get_finished_spans() if s.name == f"POST {PATH}"]) == 1  # one span, Flask's


def request_body(case: str) -> str:
    """What the Flask view reads (a form body is read by the guard's form parsing first)."""
    return {"declined": '{"decline": true}', "form": ""}.get(case, '{"n": 1}')


DEEP = "[" * 100_000 + "]" * 100_000
UNPARSEABLE = {
    "nested past the recursion limit": (DEEP, "json_too_deep"),
    "nested past the guard's depth": ('{"n": ' + "[" * 40 + "]" * 40 + "}", "json_too_deep"),
    "an integer of 5,000 digits": ('{"n": ' + "1" * 5000 + "}", "number_too_long"),
    "broken": ("{", "malformed_json"),
}


@pytest.mark.parametrize("case", UNPARSEABLE)
def test_json_no_parser_should_walk_is_a_400_from_the_fast_route_and_from_flask_alike(app, tokens, case):
    """Deep nesting raised RecursionError (an empty 500 from the fast route, a 500 from Flask) and a
    5,000-digit integer a ValueError webargs did not catch (500)."""
    text, code = UNPARSEABLE[case]
    for path in (PATH, PATH + "?via=flask"):
        answer = app.test_client().post(path, data=text, content_type="application/json", headers=tokens.headers())
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json", answer.get_data()[:300]
        assert answer.json["code"] == code
    assert app.config["seen"] == []  # no view ran


def test_a_body_nested_as_deep_as_the_guard_allows_is_served(app, tokens):
    nested = '{"n": ' + "[" * 31 + "]" * 31 + "}"
    assert _post(app, json.loads(nested), tokens.headers()).json["served_by"] == "fast"
    assert not request_guard.json_depth_exceeds(json.loads(nested), request_guard.MAX_JSON_DEPTH)
    assert request_guard.json_depth_exceeds(json.loads('{"n": ' + "[" * 32 + "]" * 32 + "}"), request_guard.MAX_JSON_DEPTH)


@pytest.mark.parametrize("text", ['{"a": "x"}', '{"a": "\\u0000"}', '{"a": "\\ud800"}', '{"a": "한"}', '{"a": "\\u4e2d"}'])
def test_only_bodies_that_cannot_hide_unstorable_text_skip_the_walk(text):
    for raw in (text.encode(), json.loads(text)["a"].join(['{"a": "', '"}']).encode("utf-16", "surrogatepass"),
                json.loads(text)["a"].join(['{"a": "', '"}']).encode("utf-8", "surrogatepass")):
        try:
            parsed = json.loads(raw)
        except ValueError:  # a raw control character: the body is refused as malformed anyway
            continue
        found = request_guard.first_unstorable(parsed, "")
        assert request_guard.may_hide_unstorable(raw) or found is None, raw
