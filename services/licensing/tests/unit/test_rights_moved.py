"""entitlements.rights.moved.v1 (SPEC ENT-8): licensing's seat totals (AA) and licenses (A) follow an
approved tax-ID replacement, enterprise move or tenant merge; a redelivery changes nothing more.
Each test runs on PostgreSQL (foreign keys, locks, unique keys) through the service's `database_url` fixture."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.licensing.adapters.orm import enterprises, licensed_seats, licenses
from services.licensing.tests.driver import LicensingDriver, entitlements_event, tax_id
from shared.envelope import Event
from shared.testkit import TokenFactory

ISSUING, RECEIVING = "invoice_issuing", "invoice_receiving"
T1, T2 = "tenant-1", "tenant-2"
A, B = tax_id(1), tax_id(2)
NEW_TAX_ID = tax_id(77)
LINE = "line-t1-issuing"


@pytest.fixture()
def old(ready: LicensingDriver) -> LicensingDriver:
    """Tenant 1: A authorized for invoice issuing and granted a seat of LINE (2 seats)."""
    ready.seats_delivered(ISSUING, 2, line_id=LINE)
    ready.authorize(ISSUING, A)
    ready.grant(A, ISSUING)
    return ready


@pytest.fixture()
def new(app: Flask, client: FlaskClient, tokens: TokenFactory) -> LicensingDriver:
    return LicensingDriver(app, client, tokens.headers(sub="admin-2", org_id=T2, username="admin@two.test"), T2)


def moved(kind: str, source: str = T1, target: str = T2, **data: Any) -> Event:
    body = {"change_request_id": str(uuid.uuid4()), "kind": kind, "from_tenant_id": source, "to_tenant_id": target,
            "tax_id": None, "old_tax_id": None, "new_tax_id": None, "seat_lines": [], **data}
    return entitlements_event("entitlements.rights.moved.v1", body)


def move_of_a(new_line: str = "line-transfer-1") -> Event:
    line = {"service_group": ISSUING, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    return moved("enterprise_move", tax_id=A, seat_lines=[
        {**line, "order_line_id": LINE, "tenant_id": T1, "quantity": 1, "serial_number": "SN-1"},
        {**line, "order_line_id": new_line, "tenant_id": T2, "quantity": 1, "serial_number": "SN-1-TABC123"},
    ])


def totals(driver: LicensingDriver, group: str = ISSUING) -> tuple[int, int]:
    """(A, AA) of the group."""
    listing = driver.listing(group)
    return listing["authorized"], listing["licensed"]


def rows(driver: LicensingDriver) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the handler may touch, to compare before and after a redelivery."""
    with driver.app.extensions["suite_context"].session_factory() as session:
        return {
            "seats": [tuple(r) for r in session.execute(select(licensed_seats).order_by(licensed_seats.c.order_line_id))],
            "licenses": [tuple(r) for r in session.execute(select(licenses).order_by(licenses.c.id))],
            "enterprises": [tuple(r) for r in session.execute(select(enterprises).order_by(enterprises.c.id))],
        }


def redelivered(event: Event) -> Event:
    """The same event past the inbox (a new id): the handler itself must be idempotent."""
    return Event(type=event.type, source=event.source, subject=event.subject, data=event.data, id=str(uuid.uuid4()))


def tax_ids(driver: LicensingDriver, group: str = ISSUING) -> set[str]:
    return {item["tax_id"] for item in driver.listing(group, page_size=200)["items"]}


def test_an_enterprise_move_carries_its_seat_and_authorization_to_the_new_tenant(old: LicensingDriver, new: LicensingDriver) -> None:
    assert new.put_erp().status_code == 200
    assert totals(old) == (1, 4)
    assert old.deliver(move_of_a())
    assert totals(old) == (0, 3)  # 2 + 2 seats before, one of LINE left
    assert A not in tax_ids(old) and A not in tax_ids(old, RECEIVING)
    assert totals(new) == (1, 1)
    item = new.license(ISSUING, A)
    assert (item["authorization_status"], item["sync_status"], item["valid_to"]) == ("authorized", "succeeded", "2026-12-31")
    assert new.license(RECEIVING, A)["authorization_status"] == "unauthorized"
    assert new.capabilities(A).json["can_issue"] is True
    assert old.audit("rights.moved")[0].detail["enterprise"] == {"enterprise": "moved", "licenses_moved": 2}


def test_the_moved_row_replaces_the_new_tenants_refused_attempt(old: LicensingDriver, new: LicensingDriver) -> None:
    assert new.put_erp().status_code == 200 and new.import_(A).status_code == 200
    new.authorize(ISSUING, A)
    new.refuse(A, ISSUING, "enterprise_of_other_tenant")
    assert new.license(ISSUING, A)["sync_error"] == "enterprise_of_other_tenant"
    old.deliver(move_of_a())
    item = new.license(ISSUING, A)
    assert (item["authorization_status"], item["sync_status"], item["sync_error"]) == ("authorized", "succeeded", None)
    assert totals(new) == (1, 1)
    with new.app.extensions["suite_context"].session_factory() as session:
        assert session.execute(select(enterprises.c.tenant_id).where(enterprises.c.tax_id == A)).scalars().all() == [T2]
        assert len(session.execute(select(licenses.c.id).where(licenses.c.tax_id == A)).all()) == 2
    assert old.audit("rights.moved")[0].detail["enterprise"]["licenses"] == {
        ISSUING: "moved_replaced_destination", RECEIVING: "moved_replaced_destination"}


def test_an_unauthorized_moved_row_leaves_the_new_tenants_authorization(old: LicensingDriver, new: LicensingDriver) -> None:
    assert new.put_erp().status_code == 200 and new.import_(A).status_code == 200
    new.authorize(RECEIVING, A)  # pending; tenant 1's receiving license of A is unauthorized
    old.deliver(move_of_a())
    assert new.license(RECEIVING, A)["authorization_status"] == "authorized"
    assert new.license(ISSUING, A)["sync_status"] == "succeeded"


def test_a_move_to_a_tenant_without_erp_instance_moves_the_seats_and_drops_the_old_import(old: LicensingDriver,
                                                                                      new: LicensingDriver) -> None:
    old.deliver(move_of_a())
    assert totals(old) == (0, 3) and A not in tax_ids(old)
    [audit] = old.audit("rights.moved")
    assert {row["service_group"]: row["authorization_status"] for row in audit.detail["dropped_licenses"]} == {
        ISSUING: "authorized", RECEIVING: "unauthorized"}
    assert new.put_erp().status_code == 200 and new.import_(A).status_code == 200
    assert totals(new) == (0, 1)


def test_a_redelivered_move_changes_nothing_more(old: LicensingDriver, new: LicensingDriver) -> None:
    assert new.put_erp().status_code == 200
    event = move_of_a()
    assert old.deliver(event)
    after = rows(old)
    assert not old.deliver(event)  # the inbox
    assert old.deliver(redelivered(event))  # the handler
    assert rows(old) == after
    assert totals(old) == (0, 3) and totals(new) == (1, 1)


def test_a_tenant_merge_moves_every_seat_line_and_license_and_the_erp_instance(old: LicensingDriver, new: LicensingDriver) -> None:
    event = moved("tenant_merge")
    assert old.deliver(event)
    assert totals(new) == (1, 4) and totals(new, RECEIVING) == (0, 2)
    assert tax_ids(new) == {tax_id(n) for n in range(1, 5)}
    assert new.client.get("/licensing/v1/erp-instance", headers=new.headers).json["license_type"] == "formal"
    assert old.client.get("/licensing/v1/erp-instance", headers=old.headers).status_code == 404
    assert new.capabilities(A).json["can_issue"] is True
    after = rows(old)
    assert old.deliver(redelivered(event))
    assert rows(old) == after


def test_a_merge_into_a_tenant_with_its_own_imports_keeps_the_stronger_row(old: LicensingDriver, new: LicensingDriver) -> None:
    assert new.put_erp("temporary").status_code == 200 and new.import_(A, tax_id(9)).status_code == 200
    new.seats_delivered(ISSUING, 5)
    new.put_serials(receiving="SN-T2")
    old.put_serials(issuing="SN-T1", receiving="SN-OLD")
    old.deliver(moved("tenant_merge"))
    assert totals(new) == (1, 9)
    assert tax_ids(new) == {tax_id(n) for n in (1, 2, 3, 4, 9)}
    assert new.license(ISSUING, A)["sync_status"] == "succeeded"
    instance = new.client.get("/licensing/v1/erp-instance", headers=new.headers).json
    assert instance["license_type"] == "temporary"
    assert instance["serial_numbers"] == {ISSUING: "SN-T1", RECEIVING: "SN-T2"}


def test_a_tax_id_replacement_renames_the_licenses_and_keeps_the_authorization(old: LicensingDriver) -> None:
    event = moved("tax_id_replacement", target=T1, tax_id=NEW_TAX_ID, old_tax_id=A, new_tax_id=NEW_TAX_ID)
    assert old.deliver(event)
    assert A not in tax_ids(old) and NEW_TAX_ID in tax_ids(old)
    item = old.license(ISSUING, NEW_TAX_ID)
    assert (item["authorization_status"], item["sync_status"], item["valid_to"]) == ("authorized", "succeeded", "2026-12-31")
    assert totals(old) == (1, 4)
    assert old.capabilities(NEW_TAX_ID).json["can_issue"] is True
    after = rows(old)
    assert old.deliver(redelivered(event))
    assert rows(old) == after


def test_an_answer_still_on_its_way_during_a_move_reaches_the_moved_license(ready: LicensingDriver, new: LicensingDriver) -> None:
    ready.seats_delivered(ISSUING, 2, line_id=LINE)
    ready.authorize(ISSUING, A)  # pending: entitlements has not answered yet
    assert new.put_erp().status_code == 200
    ready.deliver(move_of_a())
    assert new.license(ISSUING, A)["sync_pending"] is True
    ready.grant(A, ISSUING)  # the answer still names tenant 1, where the license no longer is
    item = new.license(ISSUING, A)
    assert (item["authorization_status"], item["sync_status"], item["valid_to"]) == ("authorized", "succeeded", "2026-12-31")
    assert A not in tax_ids(ready)


def test_an_answer_on_its_way_during_a_tax_id_replacement_reaches_the_renamed_license(ready: LicensingDriver) -> None:
    ready.seats_delivered(ISSUING, 2, line_id=LINE)
    ready.authorize(ISSUING, A)
    ready.deliver(moved("tax_id_replacement", target=T1, tax_id=NEW_TAX_ID, old_tax_id=A, new_tax_id=NEW_TAX_ID))
    ready.refuse(A, ISSUING)  # names the old tax ID
    assert ready.license(ISSUING, NEW_TAX_ID)["sync_error"] == "no_remaining_entitlement"
