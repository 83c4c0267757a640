"""The plain-WSGI proxy path (gateway/fastpath.py): which requests take it, and that it keeps the
gateway's behaviour — problem+json answers, request ids, trusted proxies, HEAD, metrics."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from gateway.fastpath import proxied_service, request_id
from shared.testkit import TokenFactory

SERVICES = frozenset({"billing", "identity"})


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/billing/v1", "billing"),
        ("/billing/v1/devices", "billing"),
        ("/billing/v1/devices/A%2FB", "billing"),
        ("/billing/v1/", None),  # Flask's `<path:rest>` needs a segment
        ("/billing/v1//devices", None),
        ("/billing/v2/devices", None),
        ("/billing/v10/devices", None),
        ("/payroll/v1/employees", None),
        ("/healthz", None),
        ("/", None),
    ],
)
def test_only_known_services_under_v1_take_the_proxy_path(path: str, service: str | None) -> None:
    assert proxied_service(path, SERVICES) == service


def test_request_ids_are_kept_when_sane_and_made_fresh_otherwise() -> None:
    assert request_id("req-42") == "req-42"
    fresh = {request_id(None) for _ in range(100)}
    assert len(fresh) == 100 and all(len(r) == 32 and int(r, 16) >= 0 for r in fresh)
    assert request_id("has space") != "has space"


def test_a_refusal_on_the_proxy_path_is_a_problem_with_instance_and_request_id(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices?x=1", headers={"Authorization": "Basic x", "X-Request-ID": "req-7"})

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["instance"] == "/billing/v1/devices"
    assert response.json["code"] == "invalid_token"
    assert response.headers["X-Request-ID"] == "req-7"


def test_head_gets_the_services_headers_and_no_body(gateway: FlaskClient) -> None:
    response = gateway.head("/billing/v1/devices")

    assert response.status_code == 200
    assert response.data == b""
    assert int(response.headers["Content-Length"]) > 0


def test_the_gateways_request_id_replaces_the_services_own(make_gateway: Callable[..., Flask], serve: Callable[[Any], str]) -> None:
    service = Flask("stub")
    service.add_url_rule("/billing/v1/devices", "devices", lambda: Response("[]", headers={"X-Request-ID": "the-service's"}))
    client = make_gateway({"billing": serve(service)}).test_client()

    response = client.get("/billing/v1/devices", headers={"X-Request-ID": "req-9"})

    assert response.headers.getlist("X-Request-ID") == ["req-9"]


def test_trusted_proxies_apply_to_the_proxy_path(make_gateway: Callable[..., Flask], billing_url: str) -> None:
    client = make_gateway({"billing": billing_url}, trusted_proxies=1, burst=1, rate_per_second=0.01).test_client()
    peer = {"REMOTE_ADDR": "10.0.0.1"}

    first = client.get("/billing/v1/devices", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=peer)
    other_client = client.get("/billing/v1/devices", headers={"X-Forwarded-For": "203.0.113.10"}, environ_base=peer)
    same_client = client.get("/billing/v1/devices", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=peer)

    assert (first.status_code, other_client.status_code, same_client.status_code) == (200, 200, 429)
    assert first.json["headers"]["x-forwarded-for"] == "203.0.113.9, 10.0.0.1"


def test_proxied_requests_are_counted_in_the_metrics(gateway: FlaskClient, tokens: TokenFactory) -> None:
    gateway.get("/billing/v1/devices", headers=tokens.headers())
    gateway.get("/licensing/v1/enterprises")

    metrics = gateway.get("/metrics").get_data(as_text=True)
    assert 'gateway_requests_total{method="GET",service="billing",status="200"}' in metrics
    assert 'gateway_requests_total{method="GET",service="licensing",status="502"}' in metrics
    assert 'gateway_upstream_duration_seconds_count{service="billing"}' in metrics
