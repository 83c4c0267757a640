"""导出 of the usage ledger (seed 000's 票量耗用明细): CSV and XLSX with the list's filters, formulas neutralised."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from services.entitlements.entrypoints import usage
from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def _ledger(portal):
    for tenant in (T1, T2):
        portal.tenant_known(tenant)
    portal.product("OCR", kind="traffic", traffic_category="ocr")
    portal.product("SMS", kind="traffic", traffic_category="sms")
    for tenant in (T1, T2):
        portal.activated_order(tenant, {"product_code": "OCR", "quantity": 100, "valid_to": "2026-12-31"},
                               {"product_code": "SMS", "quantity": 100, "valid_to": "2026-12-31"})
    portal.enterprise(T1, USCC[0], "杭州示例网络有限公司")
    portal.enterprise(T1, USCC[1], "深圳示例技术有限公司")
    portal.enterprise(T2, USCC[2], "北京示例实业有限公司")
    answer = portal.use(portal.admin(T1), "OCR", USCC[0], 3, reference="=HYPERLINK(\"http://evil\")")
    assert answer.status_code == 201, answer.json
    assert portal.use(portal.admin(T1), "SMS", USCC[1], 2, reference="plain").status_code == 201
    assert portal.use(portal.admin(T2), "OCR", USCC[2], 5).status_code == 201


def test_csv_export_has_the_tenants_rows_with_the_filters_and_no_formula(portal, client):
    _ledger(portal)

    response = client.get("/entitlements/v1/usage/export?product_code=OCR", headers=portal.admin(T1))

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="usage.csv"'
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(usage.EXPORT_HEADER)
    assert len(lines) == 2 and "OCR" in lines[1] and USCC[0] in lines[1] and ",3," in lines[1]
    assert "'=HYPERLINK" in lines[1]
    everything = client.get("/entitlements/v1/usage/export", headers=portal.admin(T1)).get_data(as_text=True)
    assert len(everything.splitlines()) == 3


def test_xlsx_export_keeps_text_as_text(portal, client):
    _ledger(portal)

    response = client.get(f"/entitlements/v1/usage/export?format=xlsx&tax_id={USCC[0]}", headers=portal.admin(T1))

    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('usage.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == usage.EXPORT_HEADER and len(rows) == 2
    assert rows[1][1] == "OCR" and rows[1][3] == 3 and rows[1][4] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=5).data_type == "s"


def test_bad_filters_and_other_roles_are_refused(portal, client, monkeypatch):
    _ledger(portal)

    bad = client.get("/entitlements/v1/usage/export?format=pdf&from=yesterday", headers=portal.admin(T1))
    staff = client.get("/entitlements/v1/usage/export", headers=portal.staff("support"))
    monkeypatch.setattr(usage, "XLSX_ROW_LIMIT", 1)
    too_large = client.get("/entitlements/v1/usage/export?format=xlsx", headers=portal.admin(T1))

    assert bad.status_code == 422 and {"format", "from"} <= set(bad.json["errors"])
    assert staff.status_code == 403
    assert too_large.status_code == 422 and too_large.json["code"] == "export_too_large" and too_large.json["rows"] == 2


def test_daily_totals_per_product_add_up_every_tax_id(portal, client):
    _ledger(portal)
    assert portal.use(portal.admin(T1), "OCR", USCC[1], 4).status_code == 201

    per_tax_id = client.get("/entitlements/v1/usage/daily?product_code=OCR", headers=portal.admin(T1)).json
    per_product = client.get("/entitlements/v1/usage/daily?by=product", headers=portal.admin(T1)).json
    bad = client.get("/entitlements/v1/usage/daily?by=enterprise", headers=portal.admin(T1))

    assert per_tax_id["total"] == 2
    assert [(r["product_code"], r["tax_id"], r["units"]) for r in per_product["items"]] == [("OCR", None, 7), ("SMS", None, 2)]
    assert per_product["items"][0]["uses"] == sum(r["uses"] for r in per_tax_id["items"])
    assert per_product["total"] == 2
    assert bad.status_code == 422 and "by" in bad.json["errors"]
