"""Tenant dashboard with 10,000 enterprises and 1,000,000 ledger rows: p95 of `GET /entitlements/v1/dashboard`.

    .venv/bin/python -m bench.tenant_dashboard [--requests 100] [--ledger 1000000]

Seeds one tenant straight into a fresh database with bulk SQL (no API): 40 orders of two seat lines
and three traffic lines (valid until dates spread over the expiry windows, some expired), 10,000
enterprises holding 15,000 seats, and a ledger of 1,000,000 deductions over 90 days generated inside
the database (`generate_series`), with the daily totals
aggregated from it. Then times the dashboard through the Flask app (routing, token check, queries,
serialisation; HTTP itself is the gateway bench's business). Goal: p95 ≤ 100 ms.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench._harness import database, load, ratio
from services.entitlements.adapters.orm import allocations, enterprises, order_lines, orders, products
from services.entitlements.bootstrap import build_app
from services.entitlements.config import SERVICE, Settings
from services.entitlements.service_layer import tenants
from shared.db import make_engine
from shared.envelope import new_event
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork

TENANT = "tenant-dashboard"
ENTERPRISES = 10_000
ORDERS = 40
SEAT_PRODUCTS = {"FP-ISSUE": "invoice_issuing", "FP-RECV": "invoice_receiving"}
TRAFFIC_PRODUCTS = ("CHECK", "OCR", "SMS")
GOAL_P95_MS = 100.0

LEDGER_SQL = """
    INSERT INTO usage_ledger (tenant_id, product_code, tax_id, units, reference, order_line_id, used_at)
    SELECT :tenant, (ARRAY['CHECK','OCR','SMS'])[1 + g % 3], '8' || lpad(((g * 7919) % :enterprises)::text, 16, '0'),
           1 + g % 3, 'bench-' || g, (ARRAY[:line_check, :line_ocr, :line_sms])[1 + g % 3],
           CAST(:now AS timestamptz) - make_interval(days => CAST(g % 90 AS int), secs => g % 86400)
    FROM generate_series(CAST(1 AS bigint), :rows) AS g"""
DAILY_SQL = """
    INSERT INTO usage_daily (tenant_id, product_code, tax_id, day, units, uses)
    SELECT tenant_id, product_code, tax_id, (used_at AT TIME ZONE 'UTC')::date, sum(units), count(*)
    FROM usage_ledger GROUP BY 1, 2, 3, 4"""


def tax_id(n: int) -> str:
    return f"8{n:016d}"


def _lines_and_orders(today: date, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    order_rows, line_rows = [], []
    for i in range(ORDERS):
        order_id = str(uuid.uuid4())
        order_rows.append({"id": order_id, "order_no": f"BENCH{i:06d}", "tenant_id": TENANT, "source": "sales", "status": "activated",
                           "erp": "galaxy", "deployment": "public_cloud", "activated_at": now, "created_at": now - timedelta(days=i)})
        valid_to = today + timedelta(days=(i * 7) % 400 - 30)  # a few expired, some in each window, most later
        for code, group in SEAT_PRODUCTS.items():
            line_rows.append({"id": str(uuid.uuid4()), "order_id": order_id, "tenant_id": TENANT, "product_code": code, "kind": "seat",
                              "service_group": group, "quantity": 400, "allocated": 0, "remaining": 0,
                              "valid_from": today - timedelta(days=365),
                              "valid_to": valid_to, "serial_number": f"SN-{code}-{i:04d}", "activated": True})
        for code in TRAFFIC_PRODUCTS:
            line_rows.append({"id": str(uuid.uuid4()), "order_id": order_id, "tenant_id": TENANT, "product_code": code, "kind": "traffic",
                              "service_group": None, "quantity": 10_000_000, "allocated": 0, "remaining": 10_000_000,
                              "valid_from": today - timedelta(days=365), "valid_to": today + timedelta(days=200 + i),
                              "serial_number": f"SN-{code}-{i:04d}", "activated": True})
    return order_rows, line_rows


def seed(url: str, ledger_rows: int) -> None:
    engine = make_engine(url)
    now = datetime.now(UTC)
    today = now.date()
    order_rows, line_rows = _lines_and_orders(today, now)
    seat_lines = {code: [row for row in line_rows if row["product_code"] == code and row["valid_to"] >= today] for code in SEAT_PRODUCTS}
    firms = [{"id": str(uuid.uuid4()), "tenant_id": TENANT, "name": f"压测企业{n}有限公司", "tax_id": tax_id(n), "created_at": now,
              "first_allocated_at": now} for n in range(ENTERPRISES)]
    seats = []
    for n, firm in enumerate(firms):
        for code in SEAT_PRODUCTS if n % 2 == 0 else ("FP-ISSUE",):
            line = seat_lines[code][n % len(seat_lines[code])]
            line["allocated"] += 1
            seats.append({"id": str(uuid.uuid4()), "tenant_id": TENANT, "order_line_id": line["id"], "enterprise_id": firm["id"],
                          "service_group": SEAT_PRODUCTS[code], "source": "portal", "status": "active",
                          "allocated_at": now - timedelta(seconds=n)})
    traffic = {row["product_code"]: row["id"] for row in line_rows if row["kind"] == "traffic" and row["order_id"] == order_rows[0]["id"]}
    with engine.begin() as conn:
        conn.execute(insert(products), [
            {"id": str(uuid.uuid4()), "code": code, "name": f"产品 {code}", "kind": "seat" if code in SEAT_PRODUCTS else "traffic",
             "service_group": SEAT_PRODUCTS.get(code), "traffic_category": None if code in SEAT_PRODUCTS else code.lower(),
             "units_per_use": 1, "created_at": now}
            for code in (*SEAT_PRODUCTS, *TRAFFIC_PRODUCTS)
        ])
        conn.execute(insert(orders), order_rows)
        conn.execute(insert(order_lines), line_rows)
        conn.execute(insert(enterprises), firms)
        conn.execute(insert(allocations), seats)
        conn.execute(text(LEDGER_SQL), {
            "tenant": TENANT, "enterprises": ENTERPRISES, "rows": ledger_rows, "now": now.isoformat(),
            "line_check": traffic["CHECK"], "line_ocr": traffic["OCR"], "line_sms": traffic["SMS"],
        })
        conn.execute(text(DAILY_SQL))
        conn.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
    engine.dispose()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    args = parser.parse_args(argv or [])
    tokens = TokenFactory()
    with database() as (url, engine_name):
        upgrade(SERVICE, url)
        app = build_app(Settings(CommonSettings(SERVICE, url, "memory://", "http://identity.invalid")), verifier=tokens.verifier())
        context = app.extensions["suite_context"]
        event = new_event("identity", "identity.tenant.created.v1", TENANT, {
            "tenant_id": TENANT, "name": "看板压测租户", "contact_email": "dash@example.test", "contact_phone": "13800000000",
            "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": "admin-dash", "username": "dash@example.test"},
        })
        with context.session_factory() as session:
            tenants.on_tenant_created(UnitOfWork(SERVICE, session, context.tables, context.clock), event)
            session.commit()
        started = time.perf_counter()
        seed(url, args.ledger)
        print(f"tenant dashboard on {engine_name}: {ENTERPRISES:,} enterprises, {args.ledger:,} ledger rows "
              f"(seeded in {time.perf_counter() - started:.0f} s)", flush=True)
        client = app.test_client()
        headers = tokens.headers(sub="admin-dash", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",), ttl=3600)
        timings = []
        for index in range(args.requests + 5):
            began = time.perf_counter()
            response = client.get("/entitlements/v1/dashboard", headers=headers)
            if index >= 5:
                timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["traffic"]) == 3 and body["products"][0]["enterprises"]["total"] > 0, body
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"GET /entitlements/v1/dashboard  p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms  max {timings[-1]:6.1f} ms  "
              f"{ratio(p95, GOAL_P95_MS, at_most=True)} (p95 ≤ {GOAL_P95_MS:.0f} ms)  ({load()})", flush=True)
    return {"dashboard_p95_ms": p95}


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
