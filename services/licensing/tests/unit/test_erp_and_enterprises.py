"""The ERP instance (LIC-1), importing enterprises, the seat read model behind (A/AA), and access rules."""
from __future__ import annotations

from datetime import date

import pytest

from services.licensing.tests.driver import LicensingDriver, tax_id
from shared.clock import FrozenClock
from shared.testkit import TokenFactory

ISSUING = "invoice_issuing"
A, B = tax_id(1), tax_id(2)


def test_the_erp_instance_is_created_on_first_put_and_changed_by_the_next(lic: LicensingDriver, clock: FrozenClock) -> None:
    missing = lic.client.get("/licensing/v1/erp-instance", headers=lic.headers)
    assert missing.status_code == 404 and missing.json["code"] == "erp_instance_not_found"

    created = lic.put_erp("formal", False).json
    clock.advance(hours=1)
    changed = lic.put_erp("temporary", True).json

    assert (created["license_type"], created["idc"], created["serial_number_required"]) == ("formal", False, False)
    assert (changed["license_type"], changed["idc"], changed["serial_number_required"]) == ("temporary", True, True)
    assert changed["created_at"] == "2026-01-01T00:00:00Z" and changed["updated_at"] == "2026-01-01T01:00:00Z"
    assert lic.client.get("/licensing/v1/erp-instance", headers=lic.headers).json == changed
    assert [r.detail for r in lic.audit("erp_instance.configured")] == [
        {"license_type": "formal", "idc": False},
        {"license_type": "temporary", "idc": True},
    ]


def test_importing_needs_an_erp_instance(lic: LicensingDriver) -> None:
    response = lic.client.post("/licensing/v1/enterprises", json={"tax_id": A, "name": "甲"}, headers=lic.headers)

    assert response.status_code == 409 and response.json["code"] == "erp_instance_missing"


def test_an_enterprise_is_imported_once(lic: LicensingDriver) -> None:
    lic.put_erp()
    first = lic.client.post("/licensing/v1/enterprises", json={"tax_id": A.lower(), "name": "甲公司"}, headers=lic.headers)
    again = lic.client.post("/licensing/v1/enterprises", json={"tax_id": A, "name": "甲公司"}, headers=lic.headers)
    batch = lic.import_(A, B)

    assert first.status_code == 201 and first.json == {"tax_id": A, "name": "甲公司"}
    assert again.status_code == 409 and again.json["code"] == "enterprise_already_imported"
    assert [(r["tax_id"], r["code"]) for r in batch.json["results"]] == [(A, "already_imported"), (B, "imported")]
    item = lic.license(ISSUING, A)
    assert (item["name"], item["authorization_status"], item["sync_status"]) == ("甲公司", "unauthorized", None)


@pytest.mark.parametrize(
    "body",
    [
        {"tax_id": "91320500MA00000011", "name": "bad check character"},
        {"tax_id": "ABC", "name": "too short"},
        {"tax_id": A, "name": ""},
        {"tax_id": A, "name": "x" * 201},
        {"tax_id": 12345, "name": "not a string"},
        {"name": "no tax ID"},
    ],
)
def test_bad_enterprises_are_422_and_import_nothing(lic: LicensingDriver, body: dict) -> None:
    lic.put_erp()
    response = lic.client.post("/licensing/v1/enterprises", json=body, headers=lic.headers)

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert lic.listing(ISSUING)["total"] == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/licensing/v1/authorizations", {"service_group": "invoice_printing", "tax_ids": [tax_id(1)]}),
        ("/licensing/v1/authorizations", {"service_group": ISSUING, "tax_ids": []}),
        ("/licensing/v1/authorizations", {"service_group": ISSUING, "tax_ids": [tax_id(n) for n in range(501)]}),
        ("/licensing/v1/authorizations", {"service_group": ISSUING, "tax_ids": [tax_id(1), "NOT-A-TAX-ID"]}),
        ("/licensing/v1/cancellations", {"service_group": ISSUING}),
        ("/licensing/v1/syncs", {"service_group": ISSUING, "tax_ids": [tax_id(1)], "action": "delete"}),
    ],
)
def test_bad_batches_are_422_and_change_nothing(ready: LicensingDriver, path: str, body: dict) -> None:
    response = ready.client.post(path, json=body, headers=ready.headers)

    assert response.status_code == 422 and response.json["code"] == "validation_failed"
    assert ready.listing(ISSUING)["authorized"] == 0 and ready.sent("licensing.license.authorized.v1") == []


def test_bad_erp_instance_and_list_queries_are_422(lic: LicensingDriver) -> None:
    assert lic.client.put("/licensing/v1/erp-instance", json={"license_type": "pirated"}, headers=lic.headers).status_code == 422
    assert lic.client.put("/licensing/v1/erp-instance", json={"idc": True}, headers=lic.headers).status_code == 422
    lic.put_erp()
    assert lic.client.get("/licensing/v1/enterprises", headers=lic.headers).status_code == 422
    too_big = lic.client.get("/licensing/v1/enterprises", query_string={"service_group": ISSUING, "page": 10**9}, headers=lic.headers)
    assert too_big.status_code == 422


def test_licensing_needs_a_tenant_admin(lic: LicensingDriver, tokens: TokenFactory) -> None:
    body = {"service_group": ISSUING, "tax_ids": [A]}
    assert lic.client.post("/licensing/v1/authorizations", json=body).status_code == 401
    customer = tokens.headers(org_id="company-1", org_kind="company", roles=("customer",))
    assert lic.client.post("/licensing/v1/authorizations", json=body, headers=customer).status_code == 403
    staff = tokens.headers(org_id="platform", org_kind="platform", roles=("platform_admin",))
    assert lic.client.put("/licensing/v1/erp-instance", json={"license_type": "formal"}, headers=staff).status_code == 403
    unchanged = tokens.headers(org_id="tenant-1", roles=("tenant_admin",), pwd_change=True)
    assert lic.client.put("/licensing/v1/erp-instance", json={"license_type": "formal"}, headers=unchanged).status_code == 403


def test_tenants_never_see_each_others_enterprises(ready: LicensingDriver, tokens: TokenFactory) -> None:
    other = LicensingDriver(ready.app, ready.client, tokens.headers(org_id="tenant-2"), "tenant-2")
    other.put_erp()

    assert other.listing(ISSUING)["items"] == [] and other.listing(ISSUING)["total"] == 0
    assert other.codes(other.authorize(ISSUING, A)) == {A: "enterprise_not_imported"}
    assert other.capabilities(A).status_code == 404


def test_seat_totals_come_from_delivered_seat_lines_counted_once_and_until_they_expire(lic: LicensingDriver, clock: FrozenClock) -> None:
    lic.put_erp()
    delivered = lic.seats_delivered(ISSUING, 3, valid_to=date(2026, 12, 31))
    lic.seats_delivered(ISSUING, 2, valid_to=date(2026, 1, 31))
    lic.seats_delivered("invoice_receiving", 5, line_id="line-r")
    lic.seats_delivered("invoice_receiving", 5, line_id="line-r")
    lic.deliver(delivered)

    assert lic.listing(ISSUING)["licensed"] == 5
    assert lic.listing("invoice_receiving")["licensed"] == 5
    clock.advance(days=31)
    assert lic.listing(ISSUING)["licensed"] == 3


def test_the_service_groups_show_a_over_aa_and_their_serial_numbers(ready: LicensingDriver) -> None:
    ready.put_erp("formal", True)
    ready.put_serials(issuing="SN-I", receiving=None)
    ready.authorize(ISSUING, A)

    groups = ready.client.get("/licensing/v1/service-groups", headers=ready.headers).json["items"]

    assert groups == [
        {"service_group": ISSUING, "service_group_label": "开票管理", "authorized": 1, "licensed": 2, "serial_number": "SN-I",
         "serial_number_required": True},
        {"service_group": "invoice_receiving", "service_group_label": "收票管理", "authorized": 0, "licensed": 2, "serial_number": None,
         "serial_number_required": True},
    ]
