"""Licensing authorize → seat granted: latency p50/p95/p99 at a steady 200 authorizations/s.

    .venv/bin/python -m bench.license_saga [--rate 200] [--batch 10] [--seconds 10]

The licensing API and worker and the entitlements worker run as `make up` runs them (shared/launcher.
Suite), on private databases and a private broker. A tenant admin authorizes enterprises in batches
(`POST /licensing/v1/authorizations`, `--batch` tax IDs a request, requests paced so that `--rate` tax
IDs a second are authorized); the saga goes licensing outbox → relay → broker → entitlements (takes a
seat, answers) → outbox → relay → broker. The bench listens for `entitlements.seat.granted.v1` on a
queue of its own and times each tax ID from the moment its request was due to the moment its grant
arrived. At the end it checks that licensing recorded every grant (sync succeeded).

Runs, side by side: at a rate this machine sustains (`--sustainable`, 20/s), the relays polling every
50 ms (`OUTBOX_LISTEN=0`, as before) and woken by PostgreSQL NOTIFY (`OUTBOX_LISTEN=1`, the default);
then the goal's rate (`--rate`, 200/s) with NOTIFY. Goal: p99 ≤ 100 ms at 200 authorizations/s.

Each run prints CPU ms per authorization per process (CpuMeter) and RabbitMQ's (the machine's shared
broker: an upper bound, not in the total). `--stages` adds where each saga's time went, from the
rows' own timestamps; `--goal-only` runs only the goal's rate; `--profile DIR` records the workers
with py-spy (`--gil`, raw stacks) during the goal's run.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from kombu import Connection, Queue
from sqlalchemy import func, select, text

from bench._harness import CpuMeter, JwksServer, broker, database, load, paced, ratio, started
from services.entitlements.bootstrap import build_app as build_entitlements
from services.entitlements.config import Settings as EntitlementsSettings
from services.entitlements.service_layer import tenants
from services.licensing.adapters.orm import licenses
from services.licensing.bootstrap import build_app as build_licensing
from services.licensing.config import Settings as LicensingSettings
from shared import bus
from shared.db import make_engine
from shared.envelope import new_event
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory, wait_until
from shared.uow import UnitOfWork

TENANT = "tenant-saga"
GROUP = "invoice_issuing"
GOAL_P99_MS = 100.0
SEAT_GRANTED = "entitlements.seat.granted.v1"


def tax_id(n: int) -> str:
    """A valid legacy 17-digit tax ID."""
    return f"9{n:016d}"


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def seed_entitlements(url: str, tokens: TokenFactory, seats: int) -> None:
    app = build_entitlements(EntitlementsSettings(CommonSettings("entitlements", url, "memory://", "http://identity.invalid")),
                             verifier=tokens.verifier())
    context = app.extensions["suite_context"]
    event = new_event("identity", "identity.tenant.created.v1", TENANT, {
        "tenant_id": TENANT, "name": "授权压测租户", "contact_email": "saga@example.test", "contact_phone": "13800000000",
        "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": "admin-saga", "username": "saga@example.test"},
    })
    with context.session_factory() as session:
        tenants.on_tenant_created(UnitOfWork("entitlements", session, context.tables, context.clock), event)
        session.commit()
    staff = tokens.headers(sub="staff", org_id="platform", org_kind="platform", roles=("platform_admin",))
    client = app.test_client()
    _ok(client.post("/entitlements/v1/products", headers=staff,
                    json={"code": "FP-ISSUE", "name": "开票", "kind": "seat", "service_group": GROUP}))
    _ok(client.post("/entitlements/v1/orders", headers=staff, json={"tenant_id": TENANT, "lines": [
        {"product_code": "FP-ISSUE", "quantity": seats, "valid_from": "2020-01-01", "valid_to": "2099-12-31"}]}))


def seed_licensing(url: str, tokens: TokenFactory, enterprises: int) -> None:
    app = build_licensing(LicensingSettings(CommonSettings("licensing", url, "memory://", "http://identity.invalid")),
                          verifier=tokens.verifier())
    admin = tokens.headers(sub="admin-saga", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",))
    client = app.test_client()
    _ok(client.put("/licensing/v1/erp-instance", headers=admin, json={"license_type": "formal", "idc": False}))
    for start in range(0, enterprises, 500):
        batch = [{"tax_id": tax_id(n), "name": f"压测企业{n}"} for n in range(start, min(enterprises, start + 500))]
        _ok(client.post("/licensing/v1/enterprises/batch", headers=admin, json={"enterprises": batch}))


class GrantListener:
    """Times `entitlements.seat.granted.v1` arrivals per tax ID on a queue of the bench's own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.arrived: dict[str, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _on_message(self, body: Any, message: Any) -> None:
        event = body if isinstance(body, dict) else json.loads(body)
        self.arrived.setdefault(event["data"]["tax_id"], time.perf_counter())
        message.ack()

    def _run(self) -> None:
        queue = Queue("bench.seat-granted", exchange=bus.EVENTS, routing_key=SEAT_GRANTED, durable=False, auto_delete=True)
        with Connection(self.url) as conn:
            bus.declare_topology(conn)
            with conn.Consumer([queue], callbacks=[self._on_message], accept=["json"]):
                self.ready.set()
                while not self.stop.is_set():
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        continue

    def __enter__(self) -> "GrantListener":
        self.thread.start()
        self.ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


def run_saga(base: str, token: str, listener: GrantListener, first: int, rate: float, batch: int, seconds: float) -> dict[str, Any]:
    """Authorize `rate × seconds` tax IDs from `first` on; latencies (ms) from each request's due time to its grant."""
    requests_per_second = rate / batch
    due: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(i: int) -> tuple[str, str, bytes, dict[str, str]]:
        ids = [tax_id(first + i * batch + k) for k in range(batch)]
        return "POST", "/licensing/v1/authorizations", json.dumps({"service_group": GROUP, "tax_ids": ids}).encode(), headers

    def answered(i: int, scheduled: float, status: int, body: bytes) -> None:
        for k in range(batch):
            due[tax_id(first + i * batch + k)] = scheduled

    outcome = paced(base, requests_per_second, seconds, request, connections=8, on_answer=answered)
    outcome.check(200)
    with contextlib.suppress(AssertionError):  # what has not arrived after 60 s is reported as missing
        wait_until(lambda: all(t in listener.arrived for t in due), 60, 0.1, "every seat granted")
    latencies = sorted((listener.arrived[t] - due[t]) * 1000 for t in due if t in listener.arrived)
    missing = sum(1 for t in due if t not in listener.arrived)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, max(0, round(p / 100 * len(latencies)) - 1))] if latencies else float("nan")

    return {"authorized": len(due), "missing": missing, "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "max": latencies[-1] if latencies else 0, "request_p99": outcome.percentile(99), "seconds": outcome.seconds,
            "due": due}


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "—"
    at = [values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))] for p in (50, 99)]
    return f"{at[0]:5.1f}/{at[1]:5.1f}"


def stages(entitlements_url: str, licensing_url: str, listener: GrantListener, due: dict[str, float]) -> str:
    """Where each saga's time went (ms, p50/p99), from the rows' own timestamps (one clock: this machine's).

    request: due → licensing outbox row written (in the request's transaction); relay L: written →
    published and confirmed (the commit, the NOTIFY wake-up, the publish); to consumer E: → entitlements'
    inbox row (broker, the consumer taking it, waiting behind the batch before it); handling: → the
    grant's outbox row; relay E: → published and confirmed (the rest of the batch, its commit, the
    relay); to bench: → the bench's listener got it.
    """
    offset = time.time() - time.perf_counter()  # perf_counter → epoch seconds
    wall = {tax: at + offset for tax, at in due.items()}
    arrived = {tax: at + offset for tax, at in listener.arrived.items()}
    authorized: dict[str, tuple[str, float, float]] = {}
    engine = make_engine(licensing_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, payload, created_at, published_at FROM outbox "
                                 "WHERE type = 'licensing.license.authorized.v1' AND published_at IS NOT NULL"))
        for event_id, payload, created, published in rows:
            tax = json.loads(payload)["data"]["tax_id"]
            if tax in wall:
                authorized[tax] = (event_id, created.timestamp(), published.timestamp())
    engine.dispose()
    engine = make_engine(entitlements_url)
    with engine.connect() as conn:
        claimed = dict(conn.execute(text("SELECT event_id, handled_at FROM inbox "
                                         "WHERE event_type = 'licensing.license.authorized.v1'")).all())
        granted = {}
        for payload, created, published in conn.execute(text(
                "SELECT payload, created_at, published_at FROM outbox "
                "WHERE type = 'entitlements.seat.granted.v1' AND published_at IS NOT NULL")):
            tax = json.loads(payload)["data"]["tax_id"]
            if tax in wall:
                granted[tax] = (created.timestamp(), published.timestamp())
    engine.dispose()
    steps: dict[str, list[float]] = {name: [] for name in ("request", "relay L", "to consumer E", "handling", "relay E", "to bench")}
    for tax, start in wall.items():
        if tax not in authorized or tax not in granted or tax not in arrived or authorized[tax][0] not in claimed:
            continue
        event_id, written, published = authorized[tax]
        taken = claimed[event_id].timestamp()
        answered, answer_published = granted[tax]
        points = [start, written, published, taken, answered, answer_published, arrived[tax]]
        for name, (a, b) in zip(steps, zip(points, points[1:], strict=False), strict=True):
            steps[name].append((b - a) * 1000)
    return "stages p50/p99 ms: " + ", ".join(f"{name} {_percentiles(values)}" for name, values in steps.items())


def licensing_recorded(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        done = conn.execute(select(func.count()).select_from(licenses).where(licenses.c.sync_status == "succeeded")).scalar_one()
    engine.dispose()
    return done


def _report(label: str, rate: float, result: dict[str, Any]) -> None:
    print(f"{label:<22} {rate:5.0f}/s  {result['authorized']:5d} authorized, {result['missing']} not granted in 60 s  "
          f"p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  p99 {result['p99']:7.1f} ms  max {result['max']:6.0f} ms  "
          f"{ratio(result['p99'], GOAL_P99_MS, at_most=True)} (p99 ≤ {GOAL_P99_MS:.0f} ms)  request p99 {result['request_p99']:.0f} ms  "
          f"({load()})", flush=True)


class BrokerCpu:
    """CPU of the machine's RabbitMQ (beam.smp) over the run, per authorization: not in CpuMeter's total.

    The broker is shared with whatever else runs on the machine, so this is an upper bound.
    """

    def __enter__(self) -> "BrokerCpu":
        self.pids = [int(p) for p in subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout.split()]
        self.before = self._cpu()
        return self

    def _cpu(self) -> float:
        total = 0.0
        for pid in self.pids:
            with contextlib.suppress(OSError):
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def __exit__(self, *exc: object) -> None:
        self.spent = self._cpu() - self.before

    def summary(self, operations: int) -> str:
        if not self.pids:
            return ""
        return f" (RabbitMQ, shared, not in the total: {self.spent / max(1, operations) * 1000:.2f} ms/op)"


@contextlib.contextmanager
def _profiled(suite: Any, folder: str | None, seconds: float) -> Any:
    """py-spy records each worker process (CPU only: --gil) while the block runs; nothing without a folder."""
    if not folder:
        yield
        return
    os.makedirs(folder, exist_ok=True)
    spies = [
        subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--gil", "-r", "200",
                          "-d", str(int(seconds) + 2), "-f", "raw", "-o", os.path.join(folder, f"{name}.txt"), "-p", str(process.pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, process in suite.processes.items() if name.endswith("worker")
    ]
    try:
        yield
    finally:
        for spy in spies:
            spy.wait(seconds + 30)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="the goal's authorizations (tax IDs) a second")
    parser.add_argument("--sustainable", type=float, default=20.0, help="a rate this machine keeps up with, to compare the wake-ups")
    parser.add_argument("--batch", type=int, default=10, help="tax IDs a request")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--stages", action="store_true", help="where each saga's time went, from the rows' timestamps")
    parser.add_argument("--goal-only", action="store_true", help="only the goal's rate (no side-by-side wake-up runs)")
    parser.add_argument("--profile", metavar="FOLDER", help="py-spy record (--gil, speedscope) the workers during the goal's run")
    args = parser.parse_args(argv or [])
    runs = [("poll", args.sustainable), ("listen", args.sustainable), ("listen", args.rate)]
    if args.goal_only:
        runs = runs[-1:]
    needed = sum(int(rate * args.seconds) + args.batch * 20 for _, rate in runs)
    tokens = TokenFactory()
    token = tokens.token(sub="admin-saga", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",), ttl=3600)
    figures: dict[str, float] = {}
    with database() as (entitlements_url, engine_name), database() as (licensing_url, _), broker() as (broker_url, broker_name), \
            JwksServer(tokens) as identity:
        upgrade("entitlements", entitlements_url)
        upgrade("licensing", licensing_url)
        seed_entitlements(entitlements_url, tokens, needed + 100)
        seed_licensing(licensing_url, tokens, needed)
        amqp = broker_url.startswith("amqp")
        env = {"ENTITLEMENTS_DATABASE_URL": entitlements_url, "LICENSING_DATABASE_URL": licensing_url, "IDENTITY_URL": identity.url,
               "AMQP_URL": broker_url if amqp else "", "EMBEDDED_BROKER_URL": "" if amqp else broker_url}
        print(f"authorize → seat granted on {engine_name} + {broker_name}, batches of {args.batch} tax IDs, {args.seconds:.0f} s a run")
        first = authorized = 0
        with GrantListener(broker_url) as listener:
            for mode in sorted({mode for mode, _ in runs}, reverse=True):
                with started(["licensing-api", "licensing-worker", "entitlements-worker"],
                             {**env, "OUTBOX_LISTEN": "1" if mode == "listen" else "0"}) as suite:
                    base = suite.service_url("licensing")
                    warm_up = run_saga(base, token, listener, first, args.batch * 2, args.batch, 2.0)
                    first += warm_up["authorized"]
                    authorized += warm_up["authorized"]
                    for run_mode, rate in runs:
                        if run_mode != mode:
                            continue
                        with CpuMeter(suite, (entitlements_url, licensing_url)) as meter, BrokerCpu() as rabbit, \
                                _profiled(suite, args.profile if rate == args.rate else None, args.seconds):
                            result = run_saga(base, token, listener, first, rate, args.batch, args.seconds)
                        first += result["authorized"]
                        authorized += result["authorized"]
                        label = "relay NOTIFY wake-up" if mode == "listen" else "relay 50 ms poll"
                        _report(label, rate, result)
                        if args.stages:
                            print(f"{'':<22} {stages(entitlements_url, licensing_url, listener, result['due'])}", flush=True)
                        cost = meter.per_operation_ms(result["authorized"])
                        print(f"{'':<22} {meter.summary(result['authorized'])} → {(os.cpu_count() or 1) * 1000 / cost:,.0f} "
                              f"authorizations/s on idle cores{rabbit.summary(result['authorized'])}", flush=True)
                        figures.update({f"{mode}_{rate:.0f}_p50_ms": result["p50"], f"{mode}_{rate:.0f}_p99_ms": result["p99"]})
        recorded = licensing_recorded(licensing_url)
        print(f"licensing recorded {recorded:,} grants (sync succeeded) of {authorized:,} authorized")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
