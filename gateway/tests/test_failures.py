"""A service that is down or slow is answered in problem+json: 502 `bad_gateway`, 504 `gateway_timeout`."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def test_service_whose_port_is_closed_is_502_bad_gateway(gateway: FlaskClient) -> None:
    response = gateway.get("/licensing/v1/enterprises")

    assert response.status_code == 502
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "bad_gateway"
    assert response.json["service"] == "licensing"
    assert response.headers["X-Request-ID"]


def test_service_slower_than_the_read_timeout_is_504_gateway_timeout(make_gateway: Callable[..., Flask], billing_url: str) -> None:
    client = make_gateway({"billing": billing_url}, read_timeout=0.2).test_client()

    response = client.get("/billing/v1/slow?seconds=1")

    assert response.status_code == 504
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "gateway_timeout"


def test_service_answering_within_the_read_timeout_is_served(make_gateway: Callable[..., Flask], billing_url: str) -> None:
    client = make_gateway({"billing": billing_url}, read_timeout=2.0).test_client()

    assert client.get("/billing/v1/slow?seconds=0.1").status_code == 200


def test_a_failed_service_does_not_poison_the_next_request(make_gateway: Callable[..., Flask], billing_url: str) -> None:
    client = make_gateway({"billing": billing_url}, read_timeout=0.2).test_client()
    client.get("/billing/v1/slow?seconds=0.5")

    assert client.get("/billing/v1/devices").status_code == 200
