"""What the benchmarks share: where they run, the processes they start, the load they drive, how they report.

- `database()` / `broker()`: a private PostgreSQL database (on TEST_POSTGRES_URL's server, else an
  embedded one, shared/testkit.py) and a RabbitMQ virtual host when AMQP_URL is set, else the embedded broker.
- `JwksServer`: a stand-in for identity that only publishes the bench's token key, so services and the
  gateway verify the bench's tokens exactly as they verify identity's.
- `started(...)`: the services' APIs, workers and the gateway started by `shared.launcher.Suite` (the
  same server command lines as `make up`), on SUITE_PORT_OFFSET (19000 unless set: below the ephemeral port range).
- `closed_loop(...)` (N keep-alive clients, each sending its next request when the last one answered)
  and `paced(...)` (requests at a fixed rate, latency counted from the scheduled time, so a slow server
  cannot hide its queue).
- `load()`: the load average, printed next to every figure: the machine is shared, so absolute figures
  are noisy and each comparison is run side by side in the same run.
"""
from __future__ import annotations

import http.client
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from shared import testkit
from shared.launcher import Suite
from shared.migrations import upgrade

PORT_OFFSET = int(os.environ.get("SUITE_PORT_OFFSET") or os.environ.get("E2E_PORT_OFFSET") or "19000")

Request = tuple[str, str, bytes | None, dict[str, str]]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


def ratio(value: float, goal: float, *, at_most: bool = False) -> str:
    """`value / goal` and whether the goal is met (`at_most` for latencies)."""
    met = value <= goal if at_most else value >= goal
    return f"{value / goal:.2f} × goal {'ok' if met else 'MISSED'}"


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """(url, engine name) of a fresh database, dropped afterwards."""
    admin, reason = testkit.postgres_admin_url()
    if admin is None:
        raise SystemExit(reason)
    temporary = testkit.TemporaryPostgres(admin).create()
    try:
        yield temporary.url, "PostgreSQL"
    finally:
        temporary.drop()


@contextmanager
def broker() -> Iterator[tuple[str, str]]:
    """(url, broker name) of a private RabbitMQ virtual host or a fresh embedded broker."""
    amqp, _ = testkit.amqp_base_url()
    if amqp:
        vhost = testkit.TemporaryVhost(amqp).create()
        try:
            yield vhost.url, "RabbitMQ"
        finally:
            vhost.drop()
        return
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as folder:
        embedded = testkit.EmbeddedBroker(testkit.free_port(), Path(folder)).start()
        try:
            yield embedded.url, "embedded broker"
        finally:
            embedded.stop()


def psycopg_dsn(url: str) -> str:
    """A libpq connection string (for psql and pgbench) from a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class JwksServer:
    """Publishes `tokens.jwks()` at identity's JWKS path on a free port (a thread of the bench process)."""

    def __init__(self, tokens: testkit.TokenFactory) -> None:
        body = json.dumps(tokens.jwks()).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status = 200 if self.path.endswith("/.well-known/jwks.json") or self.path in ("/readyz", "/healthz") else 404
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", testkit.free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "JwksServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def started(
    processes: list[str], env: dict[str, str], *, migrate: dict[str, str] | None = None, api_workers: int | None = None,
    api_threads: int | None = None, api_worker_class: str | None = None,
) -> Iterator[Suite]:
    """Start `processes` (e.g. `entitlements-api`, `licensing-worker`, `gateway`) as the launcher does.

    `env` gives each process its database (`<SERVICE>_DATABASE_URL`), broker (`AMQP_URL` or
    `EMBEDDED_BROKER_URL`) and `IDENTITY_URL`; `migrate` maps service → database URL to migrate first.
    """
    for service, url in (migrate or {}).items():
        upgrade(service, url)
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as folder:
        extra = {"LOG_LEVEL": "WARNING", "GATEWAY_RATE_PER_SECOND": "1000000", "GATEWAY_BURST": "1000000", **env}
        suite = Suite(Path(folder), PORT_OFFSET, extra)
        suite.env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        if api_workers is not None:
            suite.api_workers = api_workers
        if api_threads is not None:
            suite.api_threads = api_threads
        if api_worker_class is not None:
            suite.api_worker_class = api_worker_class
        suite.services = sorted({name.rsplit("-", 1)[0] for name in processes if name != "gateway"})
        try:
            for name in processes:
                suite.start_process(name)
            suite.services = [s for s in suite.services if f"{s}-api" in processes]  # only APIs answer /readyz
            suite.wait_ready(120)
            yield suite
        finally:
            suite.stop()


# ---- CPU ----------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds the suite's processes (server workers included) and the database's backends spent.

    Unlike throughput, CPU per operation hardly depends on what else runs on the machine: it shows
    what the code costs, and `cores / cpu per operation` is the rate the machine could reach alone.
    """

    def __init__(self, suite: Suite, database_urls: tuple[str, ...] = ()) -> None:
        self.suite = suite
        self.databases = [url.rsplit("/", 1)[1] for url in database_urls if url.startswith("postgresql")]
        self.admin = database_urls[0] if self.databases else None

    def _pids(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for name, process in self.suite.processes.items():
            groups[name] = [process.pid, *_children(process.pid)]
        if self.admin:
            import psycopg

            with psycopg.connect(psycopg_dsn(self.admin), autocommit=True) as conn:
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                                    (self.databases,)).fetchall()
            groups["postgres"] = [row[0] for row in rows]
        return groups

    def __enter__(self) -> "CpuMeter":
        self.before = {pid: _cpu_of(pid) for pids in self._pids().values() for pid in pids}
        return self

    def __exit__(self, *exc: object) -> None:
        self.spent = {name: sum(_cpu_of(pid) - self.before.get(pid, 0.0) for pid in pids) for name, pids in self._pids().items()}

    def per_operation_ms(self, operations: int, *names: str) -> float:
        chosen = names or tuple(self.spent)
        return sum(self.spent.get(name, 0.0) for name in chosen) / max(1, operations) * 1000

    def summary(self, operations: int) -> str:
        parts = [f"{name} {self.per_operation_ms(operations, name):.2f}" for name in self.spent]
        return f"cpu ms/op: {', '.join(parts)}, total {self.per_operation_ms(operations):.2f}"


# ---- load ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a load run got: answers by status, latencies (seconds) and the wall time."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))] * 1000

    def merge(self, other: "Outcome") -> None:
        self.latencies.extend(other.latencies)
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.failures.extend(other.failures[:5])

    def check(self, *expected: int) -> None:
        unexpected = {s: n for s, n in self.statuses.items() if s not in expected}
        if unexpected:
            raise AssertionError(f"unexpected answers {unexpected}; first: {self.failures[:3]}")


class _Client:
    """One keep-alive HTTP/1.1 connection, opened again when the server has closed an idle one."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(self, request: Request) -> tuple[int, bytes]:
        method, path, body, headers = request
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # gunicorn closes a keep-alive connection idle for 2 s; the request never reached the app
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def _record(outcome: Outcome, status: int, body: bytes, started: float, finished: float) -> None:
    outcome.latencies.append(finished - started)
    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
    if status >= 400 and len(outcome.failures) < 5:
        outcome.failures.append(f"{status} {body[:300]!r}")


def closed_loop(base: str, clients: int, seconds: float, next_request: Callable[[int, int], Request]) -> Outcome:
    """`clients` threads, each on its own connection, send `next_request(client, n)` back to back for `seconds`."""
    outcomes = [Outcome() for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def run(index: int) -> None:
        client, outcome, n = _Client(base), outcomes[index], 0
        barrier.wait()
        try:
            while (now := time.perf_counter()) < deadline[0]:
                status, body = client.send(next_request(index, n))
                _record(outcome, status, body, now, time.perf_counter())
                n += 1
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    total = Outcome(seconds=time.perf_counter() - started)
    for outcome in outcomes:
        total.merge(outcome)
    return total


def paced(base: str, rate: float, seconds: float, next_request: Callable[[int], Request], *, connections: int = 16,
          on_answer: Callable[[int, float, int, bytes], None] | None = None) -> Outcome:
    """Send request i at `start + i / rate` on a pool of connections; latency counts from the scheduled time.

    `on_answer(i, scheduled_at, status, body)` lets the caller start its own clock (e.g. for an event
    the request causes) from the same scheduled time.
    """
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    lock = threading.Lock()
    cursor = [0]
    outcome = Outcome()

    def run() -> None:
        client = _Client(base)
        try:
            while True:
                with lock:
                    i = cursor[0]
                    cursor[0] += 1
                if i >= total:
                    return
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                status, body = client.send(next_request(i))
                finished = time.perf_counter()
                with lock:
                    _record(outcome, status, body, scheduled, finished)
                if on_answer is not None:
                    on_answer(i, scheduled, status, body)
        finally:
            client.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.perf_counter() - start
    return outcome


def ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
