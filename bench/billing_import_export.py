"""Benchmark of billing's bulk paths: an expiry import of 100,000 rows and an export of 100,000 orders.

Runs the real app (Flask test client) and the worker's import runner on PostgreSQL when
TEST_POSTGRES_URL is set (a fresh database), else on an embedded PostgreSQL server. Prints seconds per step and
the ratio to the 20-second goal. `python -m bench.billing_import_export [--rows N]`.
"""

from __future__ import annotations

import argparse
import io
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from openpyxl import Workbook, load_workbook

from services.billing.adapters.orm import devices, orders
from services.billing.adapters.payment_providers import SandboxProvider
from services.billing.bootstrap import build_app
from services.billing.config import SERVICE, Settings
from services.billing.entrypoints.worker import ExpiryImportRunner
from services.billing.service_layer.companies import record_organisation
from shared.envelope import new_event
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TemporaryPostgres, TokenFactory, postgres_admin_url
from shared.uow import UnitOfWork

GOAL_SECONDS = 20.0
COMPANY = "BENCH-CO"
INSERT_CHUNK = 10_000


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    admin, reason = postgres_admin_url()
    if admin is None:
        raise SystemExit(reason)
    temporary = TemporaryPostgres(admin).create()
    try:
        yield temporary.url, "PostgreSQL"
    finally:
        temporary.drop()


def in_uow(context, work: Callable[[UnitOfWork], object]) -> None:
    session = context.session_factory()
    try:
        work(UnitOfWork(context.service, session, context.tables, context.clock))
        session.commit()
    finally:
        session.close()


def seed(context, rows: int) -> None:
    """One company, `rows` devices and `rows` paid orders, inserted in chunks."""
    event = new_event(
        "identity", "identity.organisation.created.v1", COMPANY, {"org_id": COMPANY, "kind": "company", "name": "Bench", "parent_id": None}
    )
    in_uow(context, lambda uow: record_organisation(uow, event))
    now = datetime.now(UTC)
    with context.session_factory() as session:
        for start in range(0, rows, INSERT_CHUNK):
            span = range(start, min(rows, start + INSERT_CHUNK))
            session.execute(
                devices.insert(),
                [
                    {
                        "device_id": f"DEV-{i:06d}",
                        "company_id": COMPANY,
                        "type": "POS",
                        "expires_on": date(2026, 1, 1),
                        "status": "active",
                        "created_at": now,
                    }
                    for i in span
                ],
            )
            session.execute(
                orders.insert(),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "order_no": f"RN{i:012d}",
                        "company_id": COMPANY,
                        "kind": "renewal",
                        "status": "paid",
                        "amount_minor": 1000 + i,
                        "currency": "CNY",
                        "method": "balance",
                        "auto": False,
                        "created_at": now - timedelta(seconds=i),
                        "paid_at": now,
                    }
                    for i in span
                ],
            )
        session.commit()


def expiry_sheet(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("expiry")
    sheet.append(["device_id", "expires_on"])
    for i in range(rows):
        sheet.append([f"DEV-{i:06d}", (date(2027, 1, 1) + timedelta(days=i % 365)).isoformat()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report(step: str, seconds: float, cpu_seconds: float) -> None:
    """Wall seconds against the goal; CPU seconds of this process show how much a busy machine added."""
    verdict = "ok" if seconds <= GOAL_SECONDS else "TOO SLOW"
    print(
        f"{step:<34} {seconds:7.2f} s  {seconds / GOAL_SECONDS:5.2f} × goal ({GOAL_SECONDS:.0f} s)  {verdict}   (cpu {cpu_seconds:.2f} s)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args(argv or []).rows
    tokens = TokenFactory()
    with database() as (url, engine_name):
        upgrade(SERVICE, url)
        common = CommonSettings(SERVICE, url, "memory://", "http://identity.invalid")
        settings = Settings(common, import_body_bytes=64 * 1024 * 1024)
        app = build_app(settings, verifier=tokens.verifier(), payment_provider=SandboxProvider(b"bench", "http://x", "http://x"))
        context = app.extensions["suite_context"]
        print(f"billing bench on {engine_name}, {rows:,} rows")
        seed(context, rows)
        sales = tokens.headers(sub="sales-1", org_id="platform", org_kind="platform", roles=("sales",))
        finance = tokens.headers(sub="finance-1", org_id="platform", org_kind="platform", roles=("finance",))
        content = expiry_sheet(rows)
        client = app.test_client()

        started, cpu = time.perf_counter(), time.process_time()
        upload = client.post(
            "/billing/v1/devices/expiry-imports",
            data={"file": (io.BytesIO(content), "expiry.xlsx")},
            headers=sales,
            content_type="multipart/form-data",
        )
        assert upload.status_code == 202, upload.get_data(as_text=True)
        in_uow(context, ExpiryImportRunner(context))
        progress = client.get(f"/billing/v1/devices/expiry-imports/{upload.json['id']}", headers=sales).json
        report(f"expiry import ({progress['applied_rows']:,} applied)", time.perf_counter() - started, time.process_time() - cpu)
        assert progress["status"] == "done" and progress["applied_rows"] == rows, progress

        for fmt in ("csv", "xlsx"):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(f"/billing/v1/orders/export?format={fmt}", headers=finance)
            body = response.get_data()
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            assert response.status_code == 200
            exported = (
                body.count(b"\n") - 1
                if fmt == "csv"
                else sum(1 for _ in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows()) - 1
            )
            assert exported == rows, exported
            report(f"order export {fmt} ({exported:,} rows)", seconds, cpu_seconds)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
