"""End-to-end fixtures: the whole suite started as processes and driven through the gateway.

`suite` is started once per test session for each variant: `embedded` (SQLite files, the embedded
broker) and `rabbitmq_postgres` (a fresh PostgreSQL database per service and a RabbitMQ virtual host
of its own; skipped, saying why, when TEST_POSTGRES_URL / AMQP_URL are not set). Mail goes to a real
SMTP server (aiosmtpd) the fixture runs; SMS files land in the suite's var/sms.
Ports: 8080+E2E_PORT_OFFSET (default 10000) and +100 for the second variant.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from shared import testkit
from shared.launcher import Suite, available_services

pytestmark = pytest.mark.e2e


@dataclass
class RunningSuite:
    suite: Suite
    smtp: testkit.SmtpSink
    variant: str

    @property
    def url(self) -> str:
        return self.suite.gateway_url

    @property
    def var_dir(self) -> Path:
        return self.suite.var_dir

    @property
    def admin_credentials(self) -> tuple[str, str]:
        return self.suite.env["SUITE_ADMIN_USERNAME"], self.suite.env["SUITE_ADMIN_PASSWORD"]

    def api(self, token: str | None = None) -> "Client":
        return Client(self.url, token)

    def sms_to(self, phone: str) -> list[str]:
        folder = self.var_dir / "sms"
        if not folder.exists():
            return []
        return [p.read_text() for p in sorted(folder.glob(f"*{phone}*"))]

    def move_clock(self, days: float) -> None:
        """Moves every process's clock forward (SUITE_CLOCK_FILE)."""
        path = Path(self.suite.env["SUITE_CLOCK_FILE"])
        current = float(path.read_text() or 0) if path.exists() else 0.0
        path.write_text(str(current + days * 86400))

    def reset_clock(self) -> None:
        Path(self.suite.env["SUITE_CLOCK_FILE"]).write_text("0")


class Client:
    """A small requests wrapper: JSON in, response out, bearer token when given."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str) -> Any:
        if method not in ("get", "post", "put", "patch", "delete"):
            raise AttributeError(method)

        def call(path: str, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", 30)
            return self.session.request(method.upper(), self.base + path, **kwargs)

        return call

    def login(self, username: str, password: str) -> dict[str, Any]:
        response = self.post("/identity/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()


def _start(variant: str, tmp: Path, smtp: testkit.SmtpSink, offset: int) -> tuple[Suite, list[Any]]:
    cleanups: list[Any] = []
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SUITE_CLOCK_FILE": str(tmp / "clock-offset"),
        "SUITE_ADMIN_USERNAME": "root@suite.test",
        "SUITE_ADMIN_PASSWORD": "Root-Passw0rd-2026!",
    }
    base_env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "AMQP_URL"}
    if variant == "rabbitmq_postgres":
        amqp, reason = testkit.amqp_base_url()
        admin, reason2 = testkit.postgres_admin_url()
        if amqp is None or admin is None:
            pytest.skip(reason or reason2)
        vhost = testkit.TemporaryVhost(amqp).create()
        cleanups.append(vhost.drop)
        env["AMQP_URL"] = vhost.url
        for service in available_services():
            database = testkit.TemporaryPostgres(admin).create()
            cleanups.append(database.drop)
            env[f"{service.upper()}_DATABASE_URL"] = database.url
    os.environ.clear()
    os.environ.update(base_env)
    suite = Suite(tmp / "var", offset, env)
    return suite, cleanups


@pytest.fixture(scope="session", params=["embedded", "rabbitmq_postgres"])
def suite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    saved_env = dict(os.environ)
    offset = int(os.environ.get("E2E_PORT_OFFSET", "10000")) + (0 if request.param == "embedded" else 100)
    smtp = testkit.SmtpSink().start()
    tmp = Path(tmp_path_factory.mktemp(request.param))
    try:
        running, cleanups = _start(request.param, tmp, smtp, offset)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    try:
        running.start()
    except BaseException:
        running.stop()
        smtp.stop()
        for cleanup in cleanups:
            cleanup()
        raise
    yield RunningSuite(running, smtp, request.param)
    running.stop()
    smtp.stop()
    for cleanup in cleanups:
        cleanup()


@pytest.fixture(scope="session")
def admin_token(suite: RunningSuite) -> str:
    return suite.api().login(*suite.admin_credentials)["access_token"]
