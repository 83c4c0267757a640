"""A private running suite for tests that drive it as processes: the end-to-end stories, the fault
harness and the secrets-in-logs check.

`start_suite(variant, tmp, offset)` starts the whole suite (`shared.launcher.Suite`) with mail going
to a real SMTP sink it owns and, for `rabbitmq_postgres`, a RabbitMQ broker and one fresh PostgreSQL
database per service of its own (skipped, saying why, when TEST_POSTGRES_URL / AMQP_URL are not
set). The broker is a private node of this machine's RabbitMQ installation (`testkit.PrivateRabbitMQ`)
when one can be started here, so that the tests which stop and start the broker disturb nobody else;
otherwise a virtual host of the node AMQP_URL names, and those tests restart that node, briefly.
`RunningSuite.close()` stops the processes and drops what was created.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from shared import testkit
from shared.launcher import Suite, available_services


@dataclass
class RunningSuite:
    suite: Suite
    smtp: testkit.SmtpSink
    variant: str
    database_urls: dict[str, str] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    broker: testkit.PrivateRabbitMQ | None = None

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
        # pathlib's glob matches dot files too: skip the notifier's `.part` drafts, which may still be empty
        return [p.read_text() for p in sorted(folder.glob(f"*{phone}*")) if not p.name.startswith(".")]

    def move_clock(self, days: float) -> None:
        """Moves every process's clock forward (SUITE_CLOCK_FILE)."""
        path = Path(self.suite.env["SUITE_CLOCK_FILE"])
        current = float(path.read_text() or 0) if path.exists() else 0.0
        path.write_text(str(current + days * 86400))

    def reset_clock(self) -> None:
        Path(self.suite.env["SUITE_CLOCK_FILE"]).write_text("0")

    def rabbitmqctl(self, *args: str) -> str:
        """rabbitmqctl against this suite's broker node (its own, or the machine's)."""
        if self.broker is not None:
            return self.broker.ctl(*args)
        return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True, timeout=120).stdout

    def stop_broker(self) -> None:
        """`stop_app`: every connection drops and the broker refuses new ones until `start_broker()`."""
        self.rabbitmqctl("stop_app")

    def start_broker(self) -> None:
        if self.broker is not None:
            self.broker.start_app()
        else:
            self.rabbitmqctl("start_app")

    @property
    def vhost(self) -> str:
        return urlsplit(self.suite.env["AMQP_URL"]).path.lstrip("/") or "/"

    def dead_letters(self) -> int:
        """Messages waiting in the dead-letter queues of this suite's virtual host."""
        listed = self.rabbitmqctl("list_queues", "-p", self.vhost, "--no-table-headers", "name", "messages")
        counts = [line.split() for line in listed.splitlines() if line.strip()]
        return sum(int(count) for name, count in counts if name.endswith(".dlq"))

    def close(self) -> None:
        self.suite.stop()
        self.smtp.stop()
        for cleanup in self.cleanups:
            cleanup()


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


def _prepare(variant: str, tmp: Path, smtp: testkit.SmtpSink, offset: int, api_workers: int) -> RunningSuite:
    cleanups: list[Callable[[], None]] = []
    databases: dict[str, str] = {}
    broker: testkit.PrivateRabbitMQ | None = None
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
        broker = _private_broker()
        if broker is not None:
            cleanups.append(broker.stop)
            env["AMQP_URL"] = broker.url
        else:
            vhost = testkit.TemporaryVhost(amqp).create()
            cleanups.append(vhost.drop)
            env["AMQP_URL"] = vhost.url
        for service in available_services():
            database = testkit.TemporaryPostgres(admin).create()
            cleanups.append(database.drop)
            env[f"{service.upper()}_DATABASE_URL"] = databases[service] = database.url
    os.environ.clear()
    os.environ.update(base_env)
    suite = Suite(tmp / "var", offset, env, api_workers=api_workers)
    return RunningSuite(suite, smtp, variant, databases, cleanups, broker)


def _private_broker() -> testkit.PrivateRabbitMQ | None:
    """A RabbitMQ node of this suite's own, or None (then a vhost of AMQP_URL's node) when none starts here."""
    if os.environ.get("TEST_PRIVATE_RABBITMQ", "1") == "0" or not testkit.PrivateRabbitMQ.available():
        return None
    try:
        return testkit.PrivateRabbitMQ().start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as failed:
        print(f"no private RabbitMQ node ({failed}); using a virtual host of AMQP_URL's node")
        return None


def start_suite(variant: str, tmp: Path, offset: int, api_workers: int = 2) -> RunningSuite:
    """Start the suite of `variant` (`embedded` or `rabbitmq_postgres`) under `tmp` at port `offset`."""
    saved_env = dict(os.environ)
    smtp = testkit.SmtpSink().start()
    running: RunningSuite | None = None
    try:
        running = _prepare(variant, tmp, smtp, offset, api_workers)
    except BaseException:
        smtp.stop()
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    try:
        running.suite.start()
    except BaseException:
        running.close()
        raise
    return running


def port_offset(extra: int) -> int:
    """E2E_PORT_OFFSET (default 10000) plus `extra`: +0 and +100 are the e2e variants' own."""
    return int(os.environ.get("E2E_PORT_OFFSET", "10000")) + extra
