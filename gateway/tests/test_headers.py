"""The headers the gateway passes on: credentials, idempotency keys, request id, trace context, forwarding."""
from __future__ import annotations

from flask.testing import FlaskClient

from shared.testkit import TokenFactory

CLIENT_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_authorization_idempotency_key_accept_and_content_type_are_forwarded(gateway: FlaskClient, tokens: TokenFactory) -> None:
    token = tokens.token()
    response = gateway.post(
        "/billing/v1/orders/o-1/payments",
        json={"method": "balance"},
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "pay-o-1",
            "Accept": "application/json",
            "Accept-Language": "zh-CN",
        },
    )

    received = response.json["headers"]
    assert received["authorization"] == f"Bearer {token}"
    assert received["idempotency-key"] == "pay-o-1"
    assert received["accept"] == "application/json"
    assert received["accept-language"] == "zh-CN"
    assert received["content-type"] == "application/json"


def test_client_request_id_is_passed_on_and_returned(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices", headers={"X-Request-ID": "req-42"})

    assert response.json["headers"]["x-request-id"] == "req-42"
    assert response.headers["X-Request-ID"] == "req-42"


def test_request_without_id_gets_one_that_the_service_sees_too(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices")

    generated = response.headers["X-Request-ID"]
    assert len(generated) == 32
    assert response.json["headers"]["x-request-id"] == generated


def test_unreasonable_request_id_is_replaced(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices", headers={"X-Request-ID": "x" * 500})

    assert response.headers["X-Request-ID"] != "x" * 500
    assert response.json["headers"]["x-request-id"] == response.headers["X-Request-ID"]


def test_trace_continues_the_clients_trace_through_the_gateways_span(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices", headers={"traceparent": CLIENT_TRACE, "tracestate": "vendor=1"})

    version, trace_id, parent_span, flags = response.json["headers"]["traceparent"].split("-")
    assert trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert parent_span != "b7ad6b7169203331"  # the gateway's own span is the service's parent
    assert (version, flags) == ("00", "01")
    assert response.json["headers"]["tracestate"] == "vendor=1"


def test_request_without_trace_context_starts_a_trace(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices")

    assert response.json["headers"]["traceparent"].startswith("00-")


def test_forwarding_headers_name_the_client_and_the_scheme(gateway: FlaskClient) -> None:
    response = gateway.get(
        "/billing/v1/devices", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )

    received = response.json["headers"]
    assert received["x-forwarded-for"] == "203.0.113.9, 198.51.100.7"
    assert received["x-forwarded-proto"] == "http"
    assert received["x-forwarded-host"] == "localhost"


def test_hop_by_hop_request_headers_are_not_forwarded(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices", headers={"Connection": "X-Private", "X-Private": "secret", "Keep-Alive": "300"})

    received = response.json["headers"]
    assert "x-private" not in received
    assert "keep-alive" not in received
