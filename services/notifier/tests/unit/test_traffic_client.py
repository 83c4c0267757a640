"""The HTTP traffic client against a scripted identity + entitlements on a local port: the request it
sends, its token cache, and how it reads refusals, failures and timeouts."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from services.notifier.adapters.traffic import HttpTrafficClient
from services.notifier.bootstrap import build_traffic_client
from services.notifier.config import TrafficSettings
from services.notifier.domain.traffic import DrawAnswer, DrawOutcome
from shared.testkit import free_port

CLIENT_ID, SECRET = "notifier", "notifier-secret-0123456789"


@dataclass
class Script:
    """What the fake answers: usage answers in order (the last repeats); what it received."""

    usage: list[tuple[int, dict[str, Any]]] = field(default_factory=lambda: [(201, {"remaining": 4})])
    token_status: int = 200
    delay: float = 0.0
    tokens_issued: int = 0
    draws: list[dict[str, Any]] = field(default_factory=list)


def fake_services(script: Script) -> Flask:
    app = Flask("fake")

    @app.post("/identity/v1/oauth/token")
    def token() -> Any:
        if script.token_status != 200 or request.form.to_dict() != {
                "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}:
            return jsonify(code="invalid_client"), 401
        script.tokens_issued += 1
        return jsonify(access_token=f"token-{script.tokens_issued}", token_type="Bearer", expires_in=900)

    @app.post("/entitlements/v1/usage")
    def usage() -> Any:
        script.draws.append({"body": request.get_json(), "key": request.headers.get("Idempotency-Key"),
                             "authorization": request.headers.get("Authorization")})
        time.sleep(script.delay)
        status, body = script.usage.pop(0) if len(script.usage) > 1 else script.usage[0]
        return jsonify(body), status

    return app


@pytest.fixture()
def script() -> Script:
    return Script()


@pytest.fixture()
def base_url(script: Script) -> Iterator[str]:
    server = make_server("127.0.0.1", free_port(), fake_services(script), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def client_for(base_url: str, **options: Any) -> HttpTrafficClient:
    return HttpTrafficClient(base_url, base_url, CLIENT_ID, SECRET, "SMS-TRAFFIC", pause=0.01, **options)


def test_a_draw_names_the_tenant_and_uses_the_message_id_as_idempotency_key(base_url, script):
    answer = client_for(base_url).draw_sms("tenant-1", "message-1")
    assert answer == DrawAnswer(DrawOutcome.DRAWN, remaining=4)
    assert script.draws == [{
        "body": {"tenant_id": "tenant-1", "product_code": "SMS-TRAFFIC", "units": 1, "reference": "message-1"},
        "key": "message-1", "authorization": "Bearer token-1",
    }]


def test_the_service_token_is_fetched_once_and_reused(base_url, script):
    traffic = client_for(base_url)
    for index in range(3):
        traffic.draw_sms("tenant-1", f"message-{index}")
    assert script.tokens_issued == 1 and len(script.draws) == 3


def test_a_refused_token_is_replaced_and_the_draw_tried_again(base_url, script):
    script.usage = [(401, {"code": "token_expired"}), (201, {"remaining": 2})]
    assert client_for(base_url).draw_sms("tenant-1", "message-1").outcome is DrawOutcome.DRAWN
    assert [d["authorization"] for d in script.draws] == ["Bearer token-1", "Bearer token-2"]


@pytest.mark.parametrize("status, problem, reason", [
    (409, {"code": "insufficient_quota", "available": 0}, "insufficient_quota"),
    (422, {"code": "validation_failed", "errors": {"product_code": ["unknown traffic product"]}}, "unknown_product"),
    (422, {"code": "idempotency_key_reused"}, "idempotency_key_reused"),
])
def test_a_refusal_is_answered_at_once_without_retrying(base_url, script, status, problem, reason):
    script.usage = [(status, problem)]
    assert client_for(base_url).draw_sms("tenant-1", "message-1") == DrawAnswer(DrawOutcome.REFUSED, reason)
    assert len(script.draws) == 1


def test_server_errors_are_retried_then_reported_unavailable(base_url, script):
    script.usage = [(503, {"code": "try_again"}), (500, {}), (201, {"remaining": 1})]
    assert client_for(base_url).draw_sms("tenant-1", "message-1").outcome is DrawOutcome.DRAWN
    assert [d["key"] for d in script.draws] == ["message-1"] * 3
    script.draws.clear()
    script.usage = [(503, {"code": "try_again"})]
    assert client_for(base_url, tries=2).draw_sms("tenant-1", "message-2") == DrawAnswer(DrawOutcome.UNAVAILABLE, "traffic_unavailable")
    assert len(script.draws) == 2


def test_a_forbidden_answer_is_unavailable_and_not_retried(base_url, script):
    script.usage = [(403, {"code": "forbidden"})]
    assert client_for(base_url).draw_sms("tenant-1", "message-1") == DrawAnswer(DrawOutcome.UNAVAILABLE, "traffic_http_403")
    assert len(script.draws) == 1


def test_wrong_credentials_make_the_traffic_unavailable(base_url, script):
    script.token_status = 401
    assert client_for(base_url, tries=2).draw_sms("tenant-1", "message-1").outcome is DrawOutcome.UNAVAILABLE
    assert script.draws == []


def test_a_slow_entitlements_times_out(base_url, script):
    script.delay = 1.0
    started = time.monotonic()
    answer = client_for(base_url, timeout=(1.0, 0.2), tries=2).draw_sms("tenant-1", "message-1")
    assert answer.outcome is DrawOutcome.UNAVAILABLE
    assert time.monotonic() - started < 2.0


def test_unreachable_services_are_unavailable():
    closed = f"http://127.0.0.1:{free_port()}"
    assert client_for(closed, tries=2).draw_sms("tenant-1", "message-1").outcome is DrawOutcome.UNAVAILABLE


def test_the_client_is_built_only_with_a_service_account():
    assert build_traffic_client(TrafficSettings()).draw_sms("t", "m").outcome is DrawOutcome.NOT_CONFIGURED
    configured = TrafficSettings(client_id=CLIENT_ID, client_secret=SECRET, identity_url="http://i", entitlements_url="http://e")
    assert isinstance(build_traffic_client(configured), HttpTrafficClient)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NOTIFIER_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("NOTIFIER_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("NOTIFIER_SMS_PRODUCT_CODE", "SMS-CN")
    monkeypatch.setenv("ENTITLEMENTS_URL", "http://entitlements:8082")
    settings = TrafficSettings.from_env()
    assert (settings.configured, settings.product_code, settings.entitlements_url) == (True, "SMS-CN", "http://entitlements:8082")
    assert SECRET not in repr(settings)
    monkeypatch.delenv("NOTIFIER_SMS_PRODUCT_CODE")
    monkeypatch.delenv("NOTIFIER_CLIENT_SECRET")
    assert (TrafficSettings.from_env().product_code, TrafficSettings.from_env().configured) == ("SMS", False)
