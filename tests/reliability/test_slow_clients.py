"""Slow clients: bodies sent byte by byte must not take the servers' threads from everyone else.

70 such clients stalled the gateway (health and proxying timed out at 15 s) and 10 stalled a service:
granian hands the app a request once its headers are in, and reading the body then blocked the app's
thread with no timeout (issue 16). Here the gateway and a service (licensing, on a PostgreSQL database of its own) run as the
launcher runs them — granian, one worker each so that nothing else absorbs the load — with a body
deadline of 2 s a chunk (`SUITE_BODY_CHUNK_TIMEOUT`). 80 slow clients hold the gateway, 20 the
service; meanwhile health, a proxied POST with a body and the service's own health must still answer
(no timing asserted beyond a generous client timeout), and each slow client gets 408 `body_timeout`.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gateway.tests.conftest import ServedApp, echo_service
from shared.launcher import Suite, http_server_command
from shared.settings import repo_root
from shared.testkit import free_port, wait_until

SLOW_AT_GATEWAY, SLOW_AT_SERVICE = 80, 20


def _ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture()
def served(tmp_path: Path, service_database: Callable[[str], str]) -> Iterator[dict[str, str]]:
    stub = ServedApp(echo_service("billing")).start()
    env = {**os.environ, "PYTHONPATH": str(repo_root()), "SUITE_VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING",
           "BILLING_URL": stub.url, "SUITE_BODY_CHUNK_TIMEOUT": "2",
           "LICENSING_DATABASE_URL": service_database("licensing")}
    env.pop("AMQP_URL", None)
    subprocess.run([sys.executable, "-m", "shared.migrations", "licensing"], env=env, check=True, cwd=repo_root(),
                   capture_output=True)
    gateway_port, service_port = free_port(), free_port()
    env["LICENSING_URL"] = f"http://127.0.0.1:{service_port}"
    commands = [
        http_server_command("gateway.app:create_app", "127.0.0.1", gateway_port, workers=1, threads=Suite.gateway_threads),
        http_server_command("services.licensing.entrypoints.api:create_app", "127.0.0.1", service_port, workers=1,
                            threads=Suite.api_threads),
    ]
    processes = [subprocess.Popen(c, env=env, cwd=repo_root(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]
    urls = {"gateway": f"http://127.0.0.1:{gateway_port}", "licensing": f"http://127.0.0.1:{service_port}"}
    try:
        for url in urls.values():
            wait_until(lambda url=url: _ready(f"{url}/healthz"), 60, 0.2, f"{url} to serve")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        stub.stop()


class SlowClient(threading.Thread):
    """Sends a POST's headers, then its 100-byte body one byte every 0.5 s; records the status it got."""

    def __init__(self, url: str, path: str) -> None:
        super().__init__(daemon=True)
        self.address = ("127.0.0.1", int(url.rsplit(":", 1)[1]))
        self.path = path
        self.answer = b""
        self.stop = threading.Event()

    def run(self) -> None:
        with socket.create_connection(self.address, timeout=60) as sock:
            sock.sendall(f"POST {self.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 100\r\n\r\n".encode())
            sock.settimeout(0.5)
            for _ in range(100):
                if self.stop.is_set():
                    return
                try:
                    sock.sendall(b" ")
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                self.answer += data
                if not data or b"\r\n\r\n" in self.answer:
                    return

    @property
    def status(self) -> int | None:
        line = self.answer.split(b"\r\n", 1)[0].split()
        return int(line[1]) if len(line) > 1 else None


def _answers(call: Callable[[], Any]) -> int:
    return call().status_code


def test_slow_bodies_take_no_thread_from_health_or_other_clients(served: dict[str, str]) -> None:
    clients = [SlowClient(served["gateway"], "/billing/v1/slow-upload") for _ in range(SLOW_AT_GATEWAY)]
    clients += [SlowClient(served["licensing"], "/licensing/v1/enterprises") for _ in range(SLOW_AT_SERVICE)]
    for client in clients:
        client.start()
    time.sleep(1.5)  # every slow client is in, and mid-body
    try:
        assert _answers(lambda: requests.get(f"{served['gateway']}/healthz", timeout=30)) == 200
        proxied = requests.post(f"{served['gateway']}/billing/v1/echo", json={"from": "another client"}, timeout=30)
        assert proxied.status_code == 200 and proxied.json()["body_bytes"] > 0
        assert _answers(lambda: requests.get(f"{served['licensing']}/healthz", timeout=30)) == 200
        assert _answers(lambda: requests.get(f"{served['gateway']}/licensing/v1/enterprises", timeout=30)) == 401  # proxied, answered
        for client in clients:
            client.join(60)
        statuses = [client.status for client in clients]
        assert statuses == [408] * len(clients), statuses
    finally:
        for client in clients:
            client.stop.set()


def test_a_body_over_a_services_limit_is_its_413_through_the_gateway(served: dict[str, str]) -> None:
    """The service refuses it by its length without reading it; the gateway must pass that answer on."""
    body = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    for _ in range(3):
        answer = requests.post(f"{served['gateway']}/licensing/v1/enterprises", data=body, timeout=30,
                               headers={"Content-Type": "application/json"})
        assert answer.status_code == 413 and answer.headers["Content-Type"] == "application/problem+json", answer.text[:300]
