"""Bulk expiry maintenance: template, upload, the worker's batched import with progress and a per-row report."""

import io
import os
import zipfile
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from services.billing.adapters import orm, spreadsheets
from services.billing.entrypoints.worker import ExpiryImportRunner
from services.billing.tests.conftest import run_in_uow
from shared.web import current_context


def sheet(rows, header=("device_id", "expires_on")):
    workbook = Workbook()
    workbook.active.append(list(header))
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, headers, content, filename="expiry.xlsx", **form):
    data = {"file": (io.BytesIO(content), filename), **form}
    return client.post("/billing/v1/devices/expiry-imports", data=data, headers=headers, content_type="multipart/form-data")


def run_worker_job(app, batch_rows=2):
    with app.app_context():
        runner = ExpiryImportRunner(current_context(), batch_rows=batch_rows)
    run_in_uow(app, runner)


def test_template_is_an_xlsx_with_the_header(world, client, headers):
    response = client.get("/billing/v1/devices/expiry-template", headers=headers.staff("sales"))
    assert response.status_code == 200
    assert next(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)) == ("device_id", "expires_on")
    assert client.get("/billing/v1/devices/expiry-template", headers=headers.customer("ACME")).status_code == 403


def test_import_applies_good_rows_and_reports_each_rejected_row(world, client, headers, app):
    world.device("A1", "ACME", "2026-06-01")
    world.device("A2", "ACME-SH", "2026-06-01")
    world.device("O1", "OTHER", "2026-06-01")
    content = sheet(
        [
            ("A1", date(2027, 1, 31)),
            ("A2", "2027-02-28"),
            ("GHOST", "2027-01-01"),
            ("A1", "31.01.2027"),
            ("O1", "2027-03-01"),
            (None, None),
            ("A2", "2027-13-01"),
        ]
    )
    sales = headers.staff("sales")
    queued = world.ok(upload(client, sales, content, company_id="ACME"), 202)
    assert queued["status"] == "pending" and queued["processed_rows"] == 0
    run_worker_job(app)
    report = world.ok(client.get(f"/billing/v1/devices/expiry-imports/{queued['id']}", headers=sales))
    assert report["status"] == "done" and report["percent"] == 100.0
    assert (report["total_rows"], report["applied_rows"], report["rejected_rows"]) == (6, 2, 4)
    assert [(r["row"], r["code"]) for r in report["rejections"]] == [
        (4, "unknown_device"),
        (5, "bad_date"),
        (6, "out_of_scope"),
        (8, "bad_date"),
    ]
    expiries = {d: world.ok(client.get(f"/billing/v1/devices/{d}", headers=sales))["expires_on"] for d in ("A1", "A2", "O1")}
    assert expiries == {"A1": "2027-01-31", "A2": "2027-02-28", "O1": "2026-06-01"}


def test_uploads_that_are_not_the_template_are_refused_at_once(world, client, headers):
    sales = headers.staff("sales")
    assert upload(client, sales, b"not a workbook").json["code"] == "bad_template"
    assert upload(client, sales, sheet([], header=("id", "date"))).json["code"] == "bad_template"
    missing = client.post("/billing/v1/devices/expiry-imports", data={}, headers=sales, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert upload(client, sales, sheet([]), company_id="NOPE").json["code"] == "unknown_company"
    assert upload(client, headers.customer("ACME"), sheet([])).status_code == 403
    assert client.get("/billing/v1/devices/expiry-imports/nope", headers=sales).status_code == 404


def test_an_import_may_be_larger_than_the_suites_body_limit_and_nothing_else_may(world, client, headers):
    """The import's 16 MiB limit was the whole service's: every JSON route took 16 MiB bodies."""
    sales = headers.staff("sales")
    assert upload(client, sales, with_padding(sheet([]), 3 * 1024 * 1024)).status_code == 202
    too_large = client.post("/billing/v1/offline-topups", headers=sales, data=b"x" * (3 * 1024 * 1024), content_type="application/json")
    assert too_large.status_code == 413 and too_large.mimetype == "application/problem+json"


def test_a_nul_in_the_uploaded_files_name_is_422_and_nothing_is_queued(world, client, headers, app):
    refused = upload(client, headers.staff("sales"), sheet([]), filename="expiry\x00.xlsx")
    assert refused.status_code == 422 and refused.json["code"] == "unstorable_text", refused.json
    assert queued_imports(app) == 0


def with_padding(workbook: bytes, size: int) -> bytes:
    """The workbook with a part no reader looks at, of `size` random (incompressible) bytes."""
    buffer = io.BytesIO(workbook)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("customXml/padding.bin", os.urandom(size))
    return buffer.getvalue()


def queued_imports(app):
    with app.extensions["suite_context"].session_factory() as session:
        return session.execute(select(func.count()).select_from(orm.expiry_imports)).scalar_one()


def test_the_worker_handles_exactly_the_events_billing_subscribes_to():
    from services.billing.entrypoints.worker import HANDLERS
    from shared.topology import consumed_event_types

    assert set(HANDLERS) == consumed_event_types("billing")


def with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with part `name` replaced (or added), deflated."""
    source, target = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.infolist():
            if part.filename != name:
                archive.writestr(part, source.read(part.filename))
        archive.writestr(name, content)
    return target.getvalue()


def test_a_workbook_that_expands_past_the_limits_is_422_before_anything_parses_it(world, client, headers, app):
    """Shared strings inflating to 1 GB grew the API and the worker by 2 GB each."""
    sales = headers.staff("sales")
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>' + b"A" * (40 * 1024 * 1024)
    bombs = {
        "shared strings past 16 MiB": with_part(sheet([("DEV-1", "2027-01-31")]), "xl/sharedStrings.xml", strings + b"</t></si></sst>"),
        "a part deflated 1,000 to 1": with_part(sheet([]), "customXml/item1.xml", b"<a>" + b" " * (8 * 1024 * 1024) + b"</a>"),
    }
    for name, bomb in bombs.items():
        assert len(bomb) < 200 * 1024, name  # small on the wire
        refused = upload(client, sales, bomb)
        assert refused.status_code == 422 and refused.json["code"] == "sheet_too_large", (name, refused.json)
    assert queued_imports(app) == 0


def test_a_sheet_of_more_rows_than_an_import_takes_is_422_too_many_rows(world, client, headers, app, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_IMPORT_ROWS", 5)
    sales = headers.staff("sales")
    rows = [(f"DEV-{n}", "2027-01-31") for n in range(6)]
    refused = upload(client, sales, sheet(rows))
    assert refused.status_code == 422 and refused.json["code"] == "too_many_rows", refused.json
    assert upload(client, sales, sheet(rows[:5])).status_code == 202
    assert queued_imports(app) == 1


def test_rows_are_counted_in_the_sheets_xml_across_the_chunks_it_inflates_in():
    workbook = sheet([(f"DEV-{n}", "2027-01-31") for n in range(300)])
    assert {spreadsheets.count_sheet_rows(workbook, chunk) for chunk in (7, 64, 100, 4096, 1024 * 1024)} == {301}


def test_malformed_xml_inside_a_workbook_is_422_bad_template(world, client, headers, app):
    """It was a 500: the XML parser's error is no ValueError."""
    sales = headers.staff("sales")
    broken = {
        "the sheet": with_part(sheet([("DEV-1", "2027-01-31")]), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'"),
        "the workbook part": with_part(sheet([("DEV-1", "2027-01-31")]), "xl/workbook.xml", b"<workbook><sheets><sheet"),
        "an entity declaration": with_part(sheet([]), "xl/worksheets/sheet1.xml",
                                           b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><worksheet>&e;</worksheet>'),
    }
    for name, workbook in broken.items():
        refused = upload(client, sales, workbook)
        assert refused.status_code == 422 and refused.json["code"] == "bad_template", (name, refused.json)
    assert queued_imports(app) == 0
