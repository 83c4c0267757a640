"""Usage deduction on one hot pool: single deductions (gateway, direct, pgbench reference) and batches.

    .venv/bin/python -m bench.usage_deduction [--seconds 8] [--clients 8] [--python-path]

One tenant, one traffic product, one order line of a billion units (the hot row), one enterprise
whose API client deducts. The entitlements API and the gateway run under granian as `make up` runs
them (shared/launcher.Suite). Side by side in one run:

- `pgbench` of the same transaction shape on the same row and the same number of clients
  (idempotency-key insert, guarded pool update, ledger insert; prepared statements), before and after
  the HTTP runs (their mean is the reference);
- `POST /entitlements/v1/usage` with a fresh Idempotency-Key per request, direct and through the
  gateway (goals: ≥ 70% and ≥ 50% of the reference);
- `POST /entitlements/v1/usage/batch` with 100 one-unit items a request (goal ≥ 50,000 units/s);
- with `--python-path`, the same direct single and batch runs again on a service started with
  `ENTITLEMENTS_USAGE_FAST_PATH=0` (the Python path PostgreSQL used before the PL/pgSQL fast path), side by side.

The HTTP load comes from `wrk` (bench/_wrk.py: C, like pgbench, so the load generator costs about what
pgbench's does) with a fresh Idempotency-Key per request; without wrk, from `_harness.closed_loop`.
Every run checks its answers (201/200 only) and, at the end, that the ledger and the pool agree.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import _wrk
from bench._harness import CpuMeter, JwksServer, Outcome, closed_loop, database, load, psycopg_dsn, ratio, started
from services.entitlements.adapters.orm import order_lines, platform, usage_ledger
from services.entitlements.bootstrap import build_app
from services.entitlements.config import SERVICE, Settings
from services.entitlements.service_layer import tenants
from shared.envelope import new_event
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork

TENANT = "tenant-bench"
PRODUCT = "CHECK"
TAX_ID = "91330100716105852F"
POOL = 1_000_000_000
BATCH_ITEMS = 100
GOAL_GATEWAY, GOAL_DIRECT, GOAL_BATCH_UNITS = 0.5, 0.7, 50_000.0
GOAL_GATEWAY_RATIO = 0.6  # via-gateway req/s ≥ 0.6 × direct on the same endpoint (the gateway-overhead goal)
PGBENCH = ("/usr/lib/postgresql/15/bin/pgbench", "pgbench")


def seed(database_url: str, tokens: TokenFactory) -> str:
    """Tenant, traffic product, one activated order line of POOL units, one enterprise; returns the line id."""
    common = CommonSettings(SERVICE, database_url, "memory://", "http://identity.invalid")
    app = build_app(Settings(common), verifier=tokens.verifier())
    context = app.extensions["suite_context"]
    event = new_event("identity", "identity.tenant.created.v1", TENANT, {
        "tenant_id": TENANT, "name": "压测租户", "contact_email": "bench@example.test", "contact_phone": "13800000000",
        "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": "admin-bench", "username": "bench@example.test"},
    })
    with context.session_factory() as session:
        tenants.on_tenant_created(UnitOfWork(SERVICE, session, context.tables, context.clock), event)
        session.commit()
    staff = tokens.headers(sub="staff", org_id="platform", org_kind="platform", roles=("platform_admin",))
    admin = tokens.headers(sub="admin-bench", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",))
    client = app.test_client()
    _ok(client.post("/entitlements/v1/products", headers=staff, json={"code": PRODUCT, "name": "发票查验", "kind": "traffic"}))
    order = _ok(client.post("/entitlements/v1/orders", headers=staff, json={"tenant_id": TENANT, "lines": [
        {"product_code": PRODUCT, "quantity": POOL, "valid_from": "2020-01-01", "valid_to": "2099-12-31"}]}))
    with context.session_factory() as session:
        delivered = platform.outbox.c.type == "entitlements.order.delivered.v1"
        payloads = session.execute(select(platform.outbox.c.payload).where(delivered)).scalars()
        key = json.loads(next(iter(payloads)))["data"]["operation_key"]
    _ok(client.post("/entitlements/v1/orders/activate", headers=admin,
                    json={"operation_key": key, "erp": "galaxy", "deployment": "public_cloud"}))
    _ok(client.post("/entitlements/v1/enterprises", headers=admin, json={"name": "压测企业有限公司", "tax_id": TAX_ID}))
    return order["lines"][0]["id"]


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def pgbench(database_url: str, line_id: str, clients: int, seconds: float) -> float:
    """Transactions/s of the deduction's transaction shape, run by pgbench on the same hot row."""
    binary = next((b for b in PGBENCH if shutil.which(b)), None)
    if binary is None:
        raise RuntimeError("pgbench not found (/usr/lib/postgresql/15/bin/pgbench or PATH)")
    script = (
        "BEGIN;\n"
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('pgbench', gen_random_uuid()::text, 'h', now());\n"
        f"UPDATE order_lines SET remaining = remaining - 1 WHERE id = '{line_id}' AND remaining >= 1;\n"
        "INSERT INTO usage_ledger (tenant_id, product_code, tax_id, units, reference, order_line_id, used_at) "
        f"VALUES ('{TENANT}', '{PRODUCT}', '{TAX_ID}', 1, 'pgbench', '{line_id}', now());\n"
        "END;\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as folder:
        path = Path(folder) / "deduction.sql"
        path.write_text(script)
        result = subprocess.run(
            [binary, "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), "-f", str(path),
             psycopg_dsn(database_url)],
            capture_output=True, text=True, timeout=seconds + 60,
        )
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"pgbench failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    return float(found.group(1))


def _post_with_fresh_keys(base: str, path: str, body: bytes, token: str, clients: int, seconds: float) -> Outcome | _wrk.WrkResult:
    """`clients` keep-alive connections POSTing `body` back to back, each request with a fresh Idempotency-Key."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if _wrk.available():
        return _wrk.wrk_run(base, path, method="POST", body=body, headers=headers, connections=clients, seconds=seconds,
                            unique_key=True)

    def request(_client: int, _n: int) -> tuple[str, str, bytes, dict[str, str]]:
        return "POST", path, body, {**headers, "Idempotency-Key": uuid.uuid4().hex}

    return closed_loop(base, clients, seconds, request)


def single_deductions(base: str, token: str, clients: int, seconds: float) -> Outcome | _wrk.WrkResult:
    body = json.dumps({"product_code": PRODUCT, "tax_id": TAX_ID, "units": 1, "reference": "bench"}).encode()
    return _post_with_fresh_keys(base, "/entitlements/v1/usage", body, token, clients, seconds)


def batch_deductions(base: str, token: str, clients: int, seconds: float) -> Outcome | _wrk.WrkResult:
    items = [{"product_code": PRODUCT, "tax_id": TAX_ID, "units": 1, "reference": f"batch-{i}"} for i in range(BATCH_ITEMS)]
    body = json.dumps({"items": items}).encode()
    return _post_with_fresh_keys(base, "/entitlements/v1/usage/batch", body, token, clients, seconds)


def _line(label: str, outcome: Outcome | _wrk.WrkResult, extra: str = "") -> str:
    return (f"{label:<34} {outcome.rate:8.0f} /s  p50 {outcome.percentile(50):6.1f} ms  p99 {outcome.percentile(99):6.1f} ms"
            f"  {extra}  ({load()})")


def _capacity(meter: CpuMeter, requests: int, units_per_request: int = 1) -> None:
    """CPU per request (server processes and database backends) and the rate 2 idle cores could give."""
    cost = meter.per_operation_ms(requests)
    cores = os.cpu_count() or 1
    print(f"{'':<34} {meter.summary(requests)} → {cores * 1000 / cost * units_per_request:,.0f} units/s on {cores} idle cores",
          flush=True)


def check_books(database_url: str, line_id: str) -> tuple[int, int]:
    """The ledger's units plus the pool's remaining must equal what the pool held: (used, remaining)."""
    from shared.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        used = conn.execute(select(func.coalesce(func.sum(usage_ledger.c.units), 0))).scalar_one()
        remaining = conn.execute(select(order_lines.c.remaining).where(order_lines.c.id == line_id)).scalar_one()
    engine.dispose()
    assert used + remaining == POOL, (used, remaining)
    return used, remaining


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per measured run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (HTTP connections and pgbench clients)")
    parser.add_argument("--python-path", action="store_true",
                        help="also measure the Python path (ENTITLEMENTS_USAGE_FAST_PATH=0) direct, side by side")
    args = parser.parse_args(argv or [])
    tokens = TokenFactory()
    with database() as (url, engine_name), JwksServer(tokens) as identity:
        upgrade(SERVICE, url)
        line_id = seed(url, tokens)
        token = tokens.token(sub="client-bench", org_id=TENANT, org_kind="tenant", roles=("api_client",), ttl=3600,
                             kind="client", tax_id=TAX_ID)
        env = {"ENTITLEMENTS_DATABASE_URL": url, "IDENTITY_URL": identity.url, "AMQP_URL": "", "EMBEDDED_BROKER_URL": "memory://"}
        figures: dict[str, float] = {}
        generator = "wrk" if _wrk.available() else "Python closed loop"
        print(f"usage deduction on {engine_name}, one hot pool, {args.clients} clients ({generator}), {args.seconds:.0f} s a run")
        with started(["entitlements-api", "gateway"], env) as suite:
            direct, gateway = suite.service_url(SERVICE), suite.gateway_url
            single_deductions(direct, token, args.clients, 1.0)
            single_deductions(gateway, token, args.clients, 1.0)
            reference = []
            if engine_name == "PostgreSQL":
                reference.append(pgbench(url, line_id, args.clients, args.seconds))
                print(f"{'pgbench reference (before)':<34} {reference[-1]:8.0f} tx/s  ({load()})", flush=True)
            outcomes, meters = {}, {}
            for label, base in (("direct", direct), ("gateway", gateway)):
                with CpuMeter(suite, (url,)) as meters[label]:
                    outcomes[label] = single_deductions(base, token, args.clients, args.seconds)
                outcomes[label].check(201)
            if engine_name == "PostgreSQL":
                reference.append(pgbench(url, line_id, args.clients, args.seconds))
                print(f"{'pgbench reference (after)':<34} {reference[-1]:8.0f} tx/s  ({load()})", flush=True)
            pg = sum(reference) / len(reference) if reference else 0.0
            for label, goal in (("direct", GOAL_DIRECT), ("gateway", GOAL_GATEWAY)):
                outcome = outcomes[label]
                share = outcome.rate / pg if pg else float("nan")
                verdict = f"{share:.0%} of pgbench, {ratio(share, goal)} ({goal:.0%})" if pg else "no pgbench reference"
                print(_line(f"single deduction {label}", outcome, verdict), flush=True)
                _capacity(meters[label], outcome.count)
                figures[f"single_{label}_per_s"] = outcome.rate
            figures["pgbench_tps"] = pg
            through = outcomes["gateway"].rate / outcomes["direct"].rate
            added = outcomes["gateway"].p50_ms - outcomes["direct"].p50_ms
            print(f"{'gateway / direct, this endpoint':<34} {through:8.2f} ×     "
                  f"{'ok' if through >= GOAL_GATEWAY_RATIO else 'MISSED'} (gateway-overhead goal ≥ {GOAL_GATEWAY_RATIO} ×; "
                  f"p50 with {args.clients} clients +{added:.1f} ms, queueing included: the added-p50 goal is one client's, "
                  f"in bench.gateway_overhead)", flush=True)
            figures["gateway_ratio"] = through
            with CpuMeter(suite, (url,)) as batch_cpu:
                batch = batch_deductions(direct, token, args.clients, args.seconds)
            batch.check(200)
            units = batch.rate * BATCH_ITEMS
            print(_line(f"batch of {BATCH_ITEMS} direct (requests)", batch,
                        f"{units:,.0f} units/s, {ratio(units, GOAL_BATCH_UNITS)} ({GOAL_BATCH_UNITS:,.0f})"), flush=True)
            _capacity(batch_cpu, batch.count, BATCH_ITEMS)
            figures["batch_units_per_s"] = units
        if args.python_path:
            figures.update(python_path(env, url, token, args.clients, args.seconds, figures))
        used, _ = check_books(url, line_id)
        print(f"books agree: {used:,} units in the ledger + the pool's remaining = {POOL:,}")
    return figures


def python_path(env: dict[str, str], url: str, token: str, clients: int, seconds: float,
                fast: dict[str, float]) -> dict[str, float]:
    """The direct runs again on a service whose fast path is off: the Python path, side by side with the figures above."""
    figures = {}
    with started(["entitlements-api"], {**env, "ENTITLEMENTS_USAGE_FAST_PATH": "0"}) as suite:
        direct = suite.service_url(SERVICE)
        single_deductions(direct, token, clients, 1.0)
        with CpuMeter(suite, (url,)) as meter:
            single = single_deductions(direct, token, clients, seconds)
        single.check(201)
        print(_line("single direct, Python path", single, f"fast path {fast['single_direct_per_s'] / single.rate:.1f}×"),
              flush=True)
        _capacity(meter, single.count)
        with CpuMeter(suite, (url,)) as meter:
            batch = batch_deductions(direct, token, clients, seconds)
        batch.check(200)
        units = batch.rate * BATCH_ITEMS
        print(_line("batch of 100, Python path", batch, f"{units:,.0f} units/s, fast path {fast['batch_units_per_s'] / units:.1f}×"),
              flush=True)
        _capacity(meter, batch.count, BATCH_ITEMS)
        figures["python_single_direct_per_s"], figures["python_batch_units_per_s"] = single.rate, units
    return figures


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
