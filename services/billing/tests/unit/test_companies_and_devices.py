"""Companies from identity's events, scoping (direct / all subsidiaries, never beyond), devices and their views."""

import io

from openpyxl import load_workbook
from sqlalchemy import create_engine, select

from services.billing.adapters.orm import devices, platform

audit_log_table = platform.audit_log


def ids(page):
    return sorted(item.get("device_id") or item.get("id") for item in page["items"])


def test_companies_arrive_from_identity_events_and_other_kinds_are_ignored(world, client, headers, add_company):
    add_company("DEALER-1", kind="dealer")
    page = world.ok(client.get("/billing/v1/companies?page_size=50", headers=headers.staff("sales")))
    assert ids(page) == ["ACME", "ACME-SH", "ACME-SH-PD", "OTHER"]


def test_an_update_event_moves_a_company_under_another_parent(world, client, headers, app):
    from services.billing.service_layer.companies import record_organisation
    from services.billing.tests.conftest import run_in_uow
    from shared.envelope import new_event

    event = new_event(
        "identity",
        "identity.organisation.updated.v1",
        "OTHER",
        {"org_id": "OTHER", "kind": "company", "name": "Other", "parent_id": "ACME", "status": "active"},
    )
    run_in_uow(app, lambda uow: record_organisation(uow, event))
    page = world.ok(client.get("/billing/v1/companies?scope=direct", headers=headers.customer("ACME")))
    assert ids(page) == ["ACME", "ACME-SH", "OTHER"]


def test_a_customer_sees_its_company_and_subsidiaries_direct_or_all(world, client, headers):
    world.device("D-ACME", "ACME", "2026-06-01")
    world.device("D-SH", "ACME-SH", "2026-06-01")
    world.device("D-PD", "ACME-SH-PD", "2026-06-01")
    world.device("D-OTHER", "OTHER", "2026-06-01")
    acme = headers.customer("ACME")
    assert ids(world.ok(client.get("/billing/v1/devices", headers=acme))) == ["D-ACME", "D-PD", "D-SH"]
    assert ids(world.ok(client.get("/billing/v1/devices?scope=direct", headers=acme))) == ["D-ACME", "D-SH"]
    assert ids(world.ok(client.get("/billing/v1/devices?company_id=ACME-SH&scope=direct", headers=acme))) == ["D-PD", "D-SH"]
    sub = headers.customer("ACME-SH")
    assert ids(world.ok(client.get("/billing/v1/devices", headers=sub))) == ["D-PD", "D-SH"]
    assert client.get("/billing/v1/devices?company_id=ACME", headers=sub).status_code == 404
    assert client.get("/billing/v1/devices/D-OTHER", headers=acme).status_code == 404
    assert client.get("/billing/v1/devices/D-ACME", headers=sub).status_code == 404
    assert ids(world.ok(client.get("/billing/v1/devices?page_size=50", headers=headers.staff("finance")))) == [
        "D-ACME",
        "D-OTHER",
        "D-PD",
        "D-SH",
    ]


def test_a_customer_cannot_touch_another_companys_devices(world, client, headers):
    world.device("D-OTHER", "OTHER", "2026-06-01")
    acme = headers.customer("ACME")
    response = client.post("/billing/v1/devices/deactivate", json={"device_ids": ["D-OTHER"]}, headers=acme)
    assert response.status_code == 404
    renewal = client.post("/billing/v1/renewal-orders", json={"items": [{"device_id": "D-OTHER", "months": 6}]}, headers=acme)
    assert renewal.status_code == 404
    assert client.put("/billing/v1/devices/D-OTHER/expiry", json={"expires_on": "2030-01-01"}, headers=acme).status_code == 403


def test_roles_outside_billing_and_anonymous_callers_are_refused(world, client, tokens):
    assert client.get("/billing/v1/devices").status_code == 401
    tenant_admin = tokens.headers(org_id="T1", org_kind="tenant", roles=("tenant_admin",))
    assert client.get("/billing/v1/devices", headers=tenant_admin).status_code == 403
    customer_without_company = tokens.headers(org_id="T1", org_kind="tenant", roles=("customer",))
    assert client.get("/billing/v1/devices", headers=customer_without_company).status_code == 403


def test_devices_of_unknown_companies_are_refused_and_nothing_is_stored(world, client, headers):
    body = {"device_id": "D9", "company_id": "NOPE", "type": "POS", "expires_on": "2026-06-01"}
    response = client.post("/billing/v1/devices", json=body, headers=headers.staff("support"))
    assert response.status_code == 422 and response.json["code"] == "unknown_company"
    assert client.get("/billing/v1/devices/D9", headers=headers.staff("support")).status_code == 404


def test_bad_device_input_is_422_not_500(world, client, headers):
    support = headers.staff("support")
    for body in (
        {"device_id": "x" * 65, "company_id": "ACME", "type": "POS", "expires_on": "2026-06-01"},
        {"device_id": "D1", "company_id": "ACME", "type": "POS", "expires_on": "not-a-date"},
        {"device_id": "D1", "company_id": "ACME", "type": "POS", "expires_on": "9999-01-01"},
        {"device_id": "D1", "company_id": "ACME", "type": "POS", "expires_on": "2026-06-01", "extra": 1},
    ):
        response = client.post("/billing/v1/devices", json=body, headers=support)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"


def test_views_split_devices_into_active_expiring_expired_and_deactivated(world, client, headers):
    # the test clock stands at 2026-01-01
    world.device("D-OK", "ACME", "2026-06-01")
    world.device("D-SOON", "ACME", "2026-01-20")
    world.device("D-GONE", "ACME", "2025-12-01")
    world.device("D-OFF", "ACME", "2026-06-01")
    acme = headers.customer("ACME")
    world.ok(client.post("/billing/v1/devices/deactivate", json={"device_ids": ["D-OFF"]}, headers=acme))
    view = lambda status: ids(world.ok(client.get(f"/billing/v1/devices?status={status}", headers=acme)))  # noqa: E731
    assert view("active") == ["D-OK", "D-SOON"]
    assert view("expiring") == ["D-SOON"]
    assert view("expired") == ["D-GONE"]
    assert view("deactivated") == ["D-OFF"]
    states = {d["device_id"]: d["expiry_state"] for d in world.ok(client.get("/billing/v1/devices", headers=acme))["items"]}
    assert states["D-SOON"] == "expiring" and states["D-GONE"] == "expired" and states["D-OK"] == "ok"


def test_batch_deactivation_is_all_or_nothing_and_reactivation_restores(world, client, headers):
    world.device("D1", "ACME", "2026-06-01")
    world.device("D2", "ACME", "2026-06-01")
    acme = headers.customer("ACME")
    missing = client.post("/billing/v1/devices/deactivate", json={"device_ids": ["D1", "NOPE"]}, headers=acme)
    assert missing.status_code == 404
    assert world.ok(client.get("/billing/v1/devices/D1", headers=acme))["status"] == "active"
    done = world.ok(client.post("/billing/v1/devices/deactivate", json={"device_ids": ["D1", "D2"]}, headers=acme))
    assert done == {"changed": ["D1", "D2"], "unchanged": []}
    again = world.ok(client.post("/billing/v1/devices/reactivate", json={"device_ids": ["D1"]}, headers=acme))
    assert again["changed"] == ["D1"]
    assert world.ok(client.get("/billing/v1/devices/D1", headers=acme))["status"] == "active"


def test_support_changes_an_expiry_and_the_change_is_audited(world, client, headers, database_url):
    world.device("D1", "ACME", "2026-06-01")
    changed = world.ok(client.put("/billing/v1/devices/D1/expiry", json={"expires_on": "2027-01-31"}, headers=headers.staff("support")))
    assert changed["expires_on"] == "2027-01-31"
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            select(audit_log_table.c.detail, audit_log_table.c.actor_id).where(audit_log_table.c.action == "device.expiry_changed")
        ).one()
        assert row.detail == {"from": "2026-06-01", "to": "2027-01-31"} and row.actor_id == "support-1"
        assert conn.execute(select(devices.c.expires_on).where(devices.c.device_id == "D1")).scalar_one().isoformat() == "2027-01-31"


def test_bindings_per_device_type_and_removal(world, client, headers):
    world.device("P1", "ACME", "2026-06-01", package_code=None, type="POS")
    world.device("P2", "ACME", "2026-06-01", package_code=None, type="POS")
    world.device("K1", "ACME", "2026-06-01", package_code=None, type="KIOSK")
    world.device("P-OTHER", "OTHER", "2026-06-01", package_code=None, type="POS")
    support = headers.staff("support")
    bound = world.ok(
        client.post("/billing/v1/bindings", json={"company_id": "ACME", "package_code": "RN-Y", "device_type": "POS"}, headers=support), 201
    )
    assert sorted(bound["device_ids"]) == ["P1", "P2"]
    unbound = world.ok(client.get("/billing/v1/bindings?company_id=ACME&bound=false", headers=support))
    assert ids(unbound) == ["K1"]
    wrong_kind = client.post(
        "/billing/v1/bindings", json={"company_id": "ACME", "package_code": "VA-SMS", "device_ids": ["K1"]}, headers=support
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json["code"] == "not_a_renewal_package"
    both = client.post(
        "/billing/v1/bindings",
        json={"company_id": "ACME", "package_code": "RN-Y", "device_ids": ["K1"], "device_type": "POS"},
        headers=support,
    )
    assert both.status_code == 422
    world.ok(client.post("/billing/v1/bindings/remove", json={"device_ids": ["P1"]}, headers=support))
    assert ids(world.ok(client.get("/billing/v1/bindings?company_id=ACME&bound=true", headers=support))) == ["P2"]
    assert (
        client.post(
            "/billing/v1/bindings",
            json={"company_id": "ACME", "package_code": "RN-Y", "device_type": "POS"},
            headers=headers.customer("ACME"),
        ).status_code
        == 403
    )


def test_value_added_packages_go_on_bound_devices_and_make_an_order(world, client, headers):
    world.device("D1", "ACME", "2026-06-01")
    world.device("D2", "ACME", "2026-06-01")
    world.device("U1", "ACME", "2026-06-01", package_code=None)
    support = headers.staff("support")
    unbound = client.post(
        "/billing/v1/value-added", json={"company_id": "ACME", "package_code": "VA-SMS", "device_ids": ["U1"]}, headers=support
    )
    assert unbound.status_code == 422 and unbound.json["code"] == "device_without_package"
    added = world.ok(
        client.post(
            "/billing/v1/value-added", json={"company_id": "ACME", "package_code": "VA-SMS", "device_ids": ["D1", "D2"]}, headers=support
        ),
        201,
    )
    assert added["amount_minor"] == 600
    order = world.ok(client.get(f"/billing/v1/orders/{added['order_id']}", headers=headers.customer("ACME")))
    assert order["kind"] == "value_added" and order["status"] == "pending_payment"
    twice = client.post(
        "/billing/v1/value-added", json={"company_id": "ACME", "package_code": "VA-SMS", "device_ids": ["D1"]}, headers=support
    )
    assert twice.status_code == 409
    world.top_up_offline("ACME", 1000)
    world.ok(
        client.post(f"/billing/v1/orders/{added['order_id']}/payments", json={"method": "balance"}, headers=headers.customer("ACME")), 201
    )
    listed = world.ok(client.get("/billing/v1/value-added", headers=headers.customer("ACME")))
    assert {item["status"] for item in listed["items"]} == {"active"}


def test_device_exports_open_in_openpyxl_and_as_csv(world, client, headers):
    world.device("D1", "ACME", "2026-06-01")
    world.device("D2", "ACME-SH", "2026-01-10")
    acme = headers.customer("ACME")
    xlsx = client.get("/billing/v1/devices/export?format=xlsx", headers=acme)
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.data), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "device_id" and sorted(r[0] for r in rows[1:]) == ["D1", "D2"]
    csv_text = client.get("/billing/v1/devices/export?format=csv&status=expiring", headers=acme).get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").splitlines()[1].startswith("D2,ACME-SH,POS,active,expiring")
    bindings = client.get("/billing/v1/bindings/export?format=xlsx&company_id=ACME&scope=direct", headers=headers.staff("support"))
    assert load_workbook(io.BytesIO(bindings.data)).active.max_row == 3  # header, ACME and its direct subsidiary


def test_exports_neutralise_cells_a_spreadsheet_would_run_as_formulas(world, client, headers):
    """Issue 16 (CSV injection, OWASP): a device id or type typed as `=HYPERLINK(…)` must reach the CSV as text."""
    import csv

    payloads = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    for index, payload in enumerate(payloads):
        world.device(f"{payload[:40]}{index}", "ACME", "2026-06-01", type=payload)
    world.top_up_offline("ACME", 500)
    acme = headers.customer("ACME")
    text = client.get("/billing/v1/devices/export?format=csv", headers=acme).get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert len(rows) == len(payloads)
    for row in rows:
        for cell in (row[0], row[2]):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert cell.startswith("'"), row
    assert {row[2] for row in rows} == {"'" + p for p in payloads}
    orders = client.get("/billing/v1/orders/export?format=csv", headers=headers.staff("finance")).get_data(as_text=True)
    [order] = list(csv.reader(io.StringIO(orders.lstrip("\ufeff"), newline="")))[1:]
    assert order[4] == "500"  # amounts are numbers and stay as they are
    xlsx = client.get("/billing/v1/devices/export?format=xlsx", headers=acme)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    types = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row[2:3]}
    assert len(types) == len(payloads) and set(types.values()) == {"s"}  # text cells, never formulas
