"""Per-client rate limits (429 with Retry-After) and the body-size limit (413)."""
from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from gateway.ratelimit import LocalBuckets, RedisBuckets
from shared.testkit import EmbeddedBroker, TokenFactory, free_port


@pytest.fixture()
def strict_gateway(make_gateway: Callable[..., Flask], billing_url: str) -> Flask:
    return make_gateway({"billing": billing_url}, burst=3, rate_per_second=0.01)


def test_client_over_its_burst_gets_429_with_retry_after(strict_gateway: Flask, tokens: TokenFactory) -> None:
    client = strict_gateway.test_client()
    headers = tokens.headers(sub="busy-user")

    statuses = [client.get("/billing/v1/devices", headers=headers).status_code for _ in range(3)]
    refused = client.get("/billing/v1/devices", headers=headers)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert refused.json["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1


def test_limit_is_per_user_not_per_address(strict_gateway: Flask, tokens: TokenFactory) -> None:
    client = strict_gateway.test_client()
    for _ in range(4):
        client.get("/billing/v1/devices", headers=tokens.headers(sub="busy-user"))

    assert client.get("/billing/v1/devices", headers=tokens.headers(sub="quiet-user")).status_code == 200
    assert client.get("/billing/v1/devices").status_code == 200


def test_anonymous_clients_are_limited_per_address(strict_gateway: Flask) -> None:
    client = strict_gateway.test_client()
    first = {"REMOTE_ADDR": "198.51.100.1"}
    for _ in range(3):
        client.post("/billing/v1/auth/login", environ_base=first)

    assert client.post("/billing/v1/auth/login", environ_base=first).status_code == 429
    assert client.get("/billing/v1/devices", environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200


def test_forged_tokens_are_charged_to_the_address(strict_gateway: Flask) -> None:
    client = strict_gateway.test_client()
    statuses = [client.get("/billing/v1/devices", headers=TokenFactory().headers()).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]


def test_bucket_refills_at_the_configured_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("gateway.ratelimit.time.monotonic", lambda: now[0])
    buckets = LocalBuckets(rate=2.0, burst=2)

    assert [buckets.take("c").allowed for _ in range(3)] == [True, True, False]
    now[0] += 0.5
    assert buckets.take("c").allowed
    assert not buckets.take("c").allowed


def test_redis_buckets_are_shared_by_every_worker(embedded_broker: EmbeddedBroker, tokens: TokenFactory) -> None:
    prefix = f"test:{free_port()}:"
    worker_a = RedisBuckets(embedded_broker.url, rate=0.01, burst=3, prefix=prefix)
    worker_b = RedisBuckets(embedded_broker.url, rate=0.01, burst=3, prefix=prefix)

    decisions = [worker.take("sub:u1") for worker in (worker_a, worker_b, worker_a, worker_b)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after >= 1


def test_gateway_limits_through_redis_when_configured(
    make_gateway: Callable[..., Flask], billing_url: str, embedded_broker: EmbeddedBroker, tokens: TokenFactory
) -> None:
    settings: dict[str, Any] = {"burst": 2, "rate_per_second": 0.01, "redis_url": embedded_broker.url}
    workers = [make_gateway({"billing": billing_url}, **settings).test_client() for _ in range(2)]
    headers = tokens.headers(sub=f"shared-{free_port()}")

    statuses = [workers[i % 2].get("/billing/v1/devices", headers=headers).status_code for i in range(3)]

    assert statuses == [200, 200, 429]


def test_unreachable_redis_falls_back_to_limiting_per_process() -> None:
    buckets = RedisBuckets(f"redis://127.0.0.1:{free_port()}/0", rate=0.01, burst=1)

    assert [buckets.take("c").allowed for _ in range(2)] == [True, False]


def test_body_announced_above_the_limit_is_413_before_reaching_the_service(
    make_gateway: Callable[..., Flask], billing_url: str
) -> None:
    client = make_gateway({"billing": billing_url}, max_body_bytes=1024).test_client()

    response = client.post("/billing/v1/devices/expiry-imports", data=b"x" * 1025, content_type="application/octet-stream")

    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "payload_too_large"


def test_body_exactly_at_the_limit_passes(make_gateway: Callable[..., Flask], billing_url: str) -> None:
    client = make_gateway({"billing": billing_url}, max_body_bytes=1024).test_client()

    response = client.post("/billing/v1/devices/expiry-imports", data=b"x" * 1024, content_type="application/octet-stream")

    assert response.status_code == 200
    assert response.json["body_bytes"] == 1024


@pytest.fixture()
def served_gateway(make_gateway: Callable[..., Flask], billing_url: str, serve: Callable[[Any], str]) -> str:
    return serve(make_gateway({"billing": billing_url}, max_body_bytes=256 * 1024))


def _chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"y" * min(size, total - start)


def test_chunked_body_growing_past_the_limit_is_413(served_gateway: str) -> None:
    response = requests.post(f"{served_gateway}/billing/v1/blob", data=_chunks(1024 * 1024), timeout=10)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_chunked_body_within_the_limit_is_streamed_to_the_service(served_gateway: str) -> None:
    response = requests.post(f"{served_gateway}/billing/v1/blob", data=_chunks(200 * 1024), timeout=10)

    assert response.status_code == 200
    assert response.json()["body_sha256"] == hashlib.sha256(b"y" * 200 * 1024).hexdigest()


@pytest.fixture()
def impatient_service() -> Iterator[str]:
    """A service that answers 413 as soon as it has the request's head and closes, the body unread
    (what a service does with a body over its own, smaller limit)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                received = b""
                while b"\r\n\r\n" not in received and (data := connection.recv(4096)):
                    received += data
                connection.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


def test_a_chunked_body_past_the_limit_is_413_even_when_the_service_stops_reading_it(
    make_gateway: Callable[..., Flask], impatient_service: str, serve: Callable[[Any], str]
) -> None:
    """It was a 502 "the billing service is unavailable": the write broke before the gateway had
    counted past its limit."""
    gateway = serve(make_gateway({"billing": impatient_service}, max_body_bytes=256 * 1024))

    response = requests.post(f"{gateway}/billing/v1/blob", data=_chunks(4 * 1024 * 1024), timeout=30)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


def test_a_services_early_answer_to_a_body_it_will_not_read_is_passed_on_not_a_502(
    make_gateway: Callable[..., Flask], impatient_service: str, serve: Callable[[Any], str]
) -> None:
    """A service refuses a body over its own limit by its length and closes; the gateway's write broke
    and it answered 502 although the service's 413 was already on the wire."""
    gateway = serve(make_gateway({"billing": impatient_service}, max_body_bytes=32 * 1024 * 1024))

    for _ in range(3):
        response = requests.post(f"{gateway}/billing/v1/blob", data=b"z" * (8 * 1024 * 1024), timeout=30)
        assert response.status_code == 413
