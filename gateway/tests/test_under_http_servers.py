"""The gateway as the launcher and the deployment files run it (granian), and under gunicorn with
gevent or gthread workers (`SUITE_HTTP_SERVER=gunicorn`): the command lines of `shared.launcher`."""
from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from gateway.tests.conftest import echo_service
from shared.launcher import http_server_command
from shared.settings import repo_root
from shared.testkit import TokenFactory, free_port, wait_until


def _ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


SERVERS = {"granian": ("granian", "gthread"), "gunicorn-gevent": ("gunicorn", "gevent"), "gunicorn-gthread": ("gunicorn", "gthread")}


@pytest.fixture(params=sorted(SERVERS))
def served_gateway(request: pytest.FixtureRequest, serve: Callable[[Any], str], tokens: TokenFactory) -> Iterator[str]:
    jwks_and_echo = echo_service("identity")
    jwks_and_echo.add_url_rule("/identity/v1/.well-known/jwks.json", "jwks", tokens.jwks)
    port = free_port()
    refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    refused.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused, and nobody else gets the port
    env = {
        **os.environ,
        "PYTHONPATH": str(repo_root()),
        "IDENTITY_URL": serve(jwks_and_echo),
        "BILLING_URL": serve(echo_service("billing")),
        "LICENSING_URL": f"http://127.0.0.1:{refused.getsockname()[1]}",  # nothing listens there
        "GATEWAY_MAX_BODY_BYTES": str(512 * 1024),
        "LOG_LEVEL": "WARNING",
    }
    server, worker_class = SERVERS[request.param]
    command = http_server_command("gateway.app:create_app", "127.0.0.1", port, server=server, workers=1, threads=4,
                                  worker_class=worker_class)
    process = subprocess.Popen(command, env=env, cwd=repo_root(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(f"{url}/healthz"), 30, 0.1, f"the gateway under {request.param}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        refused.close()


def _chunks(total: int) -> Iterator[bytes]:
    for start in range(0, total, 8192):
        yield b"z" * min(8192, total - start)


def test_requests_without_body_are_sent_without_one(served_gateway: str) -> None:
    received = requests.get(f"{served_gateway}/billing/v1/devices", timeout=10).json()["headers"]

    assert "transfer-encoding" not in received
    assert "content-length" not in received


def test_chunked_upload_through_the_server_reaches_the_service(served_gateway: str) -> None:
    response = requests.post(f"{served_gateway}/billing/v1/blob", data=_chunks(300 * 1024), timeout=10)

    assert response.status_code == 200
    assert response.json()["body_sha256"] == hashlib.sha256(b"z" * 300 * 1024).hexdigest()


def test_chunked_upload_past_the_limit_through_the_server_is_413(served_gateway: str) -> None:
    response = requests.post(f"{served_gateway}/billing/v1/blob", data=_chunks(2 * 1024 * 1024), timeout=10)

    assert response.status_code == 413


def test_token_is_checked_against_identitys_jwks(served_gateway: str, tokens: TokenFactory) -> None:
    assert requests.get(f"{served_gateway}/billing/v1/devices", headers=tokens.headers(), timeout=10).status_code == 200
    forged = requests.get(f"{served_gateway}/billing/v1/devices", headers=TokenFactory().headers(), timeout=10)
    assert forged.status_code == 401


def test_many_requests_at_once_are_all_answered(served_gateway: str, tokens: TokenFactory) -> None:
    from concurrent.futures import ThreadPoolExecutor

    headers = tokens.headers()

    def call(n: int) -> int:
        return requests.get(f"{served_gateway}/billing/v1/devices/{n}", headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(call, range(64)))

    assert statuses == [200] * 64


def test_a_service_that_is_down_is_a_502_under_each_server(served_gateway: str) -> None:
    response = requests.get(f"{served_gateway}/licensing/v1/enterprises", timeout=10)

    assert response.status_code == 502
    assert response.json()["code"] == "bad_gateway"


def test_a_path_with_escapes_and_non_ascii_reaches_the_service_as_sent(served_gateway: str) -> None:
    sent = "/billing/v1/devices/%E8%AE%BE%E5%A4%87/x%20y"  # 设备, and a space
    received = requests.get(f"{served_gateway}{sent}?q=1%202&tax_id=91330100MA27XYZ12X", timeout=10).json()

    assert received["raw_uri"] == f"{sent}?q=1%202&tax_id=91330100MA27XYZ12X"
    assert received["path"] == "/billing/v1/devices/设备/x y"
