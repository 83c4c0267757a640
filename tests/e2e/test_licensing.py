"""Seed 004 end to end, through the gateway, on embedded defaults and on RabbitMQ + PostgreSQL.

The story: a tenant with two invoice-issuing seats authorizes two enterprises (both sync, with the
order line's validity, A/AA 2/2); a third fails with `no_remaining_entitlement`; re-authorizing an
authorized one is refused while the rest of the batch goes on; a cancellation clears the fields and
locks the tax ID for 60 days (still locked at day 59, free at day 60); cancelling an unauthorized one
is refused; a manual re-sync succeeds once a seat is free; a temporary license without a serial
number fails with that reason and succeeds after the serial number is set.

The fault test restarts the broker and kills both workers in the middle of a batch of
authorizations: in the end every enterprise is synced and no seat was granted twice.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from shared.tax_ids import organisation_code_check_character, uscc_check_character
from shared.testkit import wait_until
from tests.e2e.steps import create_tenant

pytestmark = pytest.mark.e2e

ISSUING, RECEIVING = "invoice_issuing", "invoice_receiving"


def new_tax_id() -> str:
    organisation = "MA" + "".join(random.choices("0123456789", k=6))
    first_17 = f"91320500{organisation}{organisation_code_check_character(organisation)}"
    return first_17 + uscc_check_character(first_17)


def seat_product(platform: Any, group: str) -> str:
    code = f"SEAT-{group.upper()}-{uuid.uuid4().hex[:6]}"
    body = {"code": code, "name": f"{group} seat", "kind": "seat", "service_group": group}
    created = platform.post("/entitlements/v1/products", json=body)
    assert created.status_code == 201, created.text
    return code


def deliver_order(platform: Any, tenant_id: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Delivers an order (retrying while entitlements has not yet heard of the new tenant)."""

    def delivered() -> Any:
        response = platform.post("/entitlements/v1/orders", json={"tenant_id": tenant_id, "lines": lines})
        return response.json() if response.status_code == 201 else None

    return wait_until(delivered, 20, interval=0.5, what="the order to be delivered")


def seat_line(product_code: str, quantity: int, serial_number: str) -> dict[str, Any]:
    today = date.today()
    return {
        "product_code": product_code,
        "quantity": quantity,
        "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_to": (today + timedelta(days=365)).isoformat(),
        "serial_number": serial_number,
    }


class Licensing:
    """The tenant admin's licensing page, through the gateway."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def batch(self, path: str, group: str, *tax_ids: str, **extra: Any) -> dict[str, dict[str, Any]]:
        response = self.api.post(f"/licensing/v1/{path}", json={"service_group": group, "tax_ids": list(tax_ids), **extra})
        assert response.status_code == 200, response.text
        return {r["tax_id"]: r for r in response.json()["results"]}

    def authorize(self, group: str, *tax_ids: str) -> dict[str, dict[str, Any]]:
        return self.batch("authorizations", group, *tax_ids)

    def cancel(self, group: str, *tax_ids: str) -> dict[str, dict[str, Any]]:
        return self.batch("cancellations", group, *tax_ids)

    def sync(self, group: str, action: str, *tax_ids: str) -> dict[str, dict[str, Any]]:
        return self.batch("syncs", group, *tax_ids, action=action)

    def page(self, group: str) -> dict[str, Any]:
        response = self.api.get("/licensing/v1/enterprises", params={"service_group": group, "page_size": 200})
        assert response.status_code == 200, response.text
        return response.json()

    def items(self, group: str) -> dict[str, dict[str, Any]]:
        return {item["tax_id"]: item for item in self.page(group)["items"]}

    def settled(self, group: str, *tax_ids: str, timeout: float = 30) -> dict[str, dict[str, Any]]:
        """The licenses once entitlements has answered every pending sync of these tax IDs."""

        def answered() -> dict[str, dict[str, Any]] | None:
            items = self.items(group)
            return items if all(not items[t]["sync_pending"] for t in tax_ids) else None

        return wait_until(answered, timeout, interval=0.2, what=f"syncs of {len(tax_ids)} tax IDs to be answered")

    def a_over_aa(self, group: str) -> tuple[int, int]:
        page = self.page(group)
        return page["authorized"], page["licensed"]

    def capabilities(self, tax_id: str) -> dict[str, Any]:
        response = self.api.get(f"/licensing/v1/enterprises/{tax_id}/capabilities")
        assert response.status_code == 200, response.text
        return response.json()


def codes(results: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {tax_id: result["code"] for tax_id, result in results.items()}


def licensed_tenant(suite: Any, admin_token: str, issuing_seats: int, enterprises: int) -> tuple[Licensing, list[str], dict[str, Any]]:
    """A tenant with a formal non-IDC ERP instance, imported enterprises and an order of issuing (and one receiving) seats."""
    tenant = create_tenant(suite, admin_token)
    platform = suite.api(admin_token)
    serial = f"SN-{uuid.uuid4().hex[:8].upper()}"
    line = seat_line(seat_product(platform, ISSUING), issuing_seats, serial + "-I")
    receiving = seat_line(seat_product(platform, RECEIVING), 1, serial + "-R")
    deliver_order(platform, tenant.tenant_id, [line, receiving])
    licensing = Licensing(suite.api(tenant.access_token))
    erp = licensing.api.put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False})
    assert erp.status_code == 200, erp.text
    tax_ids = [new_tax_id() for _ in range(enterprises)]
    imported = licensing.api.post(
        "/licensing/v1/enterprises/batch", json={"enterprises": [{"tax_id": t, "name": f"测试企业{t[-6:]}有限公司"} for t in tax_ids]}
    )
    assert imported.status_code == 200 and all(r["ok"] for r in imported.json()["results"]), imported.text
    wait_until(lambda: licensing.a_over_aa(ISSUING) == (0, issuing_seats), 20, what="the delivered seats to reach licensing")
    return licensing, tax_ids, {**line, "receiving_serial_number": receiving["serial_number"]}


def test_license_authorization_story_of_seed_004(suite, admin_token):
    licensing, (a, b, c, d, e), line = licensed_tenant(suite, admin_token, issuing_seats=2, enterprises=5)

    # Authorize two: both sync with the order line's validity, A/AA 2/2.
    assert codes(licensing.authorize(ISSUING, a, b)) == {a: "authorized", b: "authorized"}
    items = licensing.settled(ISSUING, a, b)
    for tax_id in (a, b):
        item = items[tax_id]
        assert (item["authorization_status"], item["sync_status"], item["sync_error"]) == ("authorized", "succeeded", None)
        assert (item["valid_from"], item["valid_to"]) == (line["valid_from"], line["valid_to"])
        assert item["authorized_at"] and item["authorized_by"] and item["cancelled_at"] is None
    assert licensing.a_over_aa(ISSUING) == (2, 2)
    assert licensing.capabilities(a) == {"tax_id": a, "can_issue": True, "can_receive": False, "locked_until": None}

    # A third: still authorized, its sync failed for want of a seat.
    assert codes(licensing.authorize(ISSUING, c)) == {c: "authorized"}
    item = licensing.settled(ISSUING, c)[c]
    assert (item["authorization_status"], item["sync_status"], item["sync_error"]) == ("authorized", "failed", "no_remaining_entitlement")
    assert licensing.capabilities(c)["can_issue"] is False

    # Re-authorizing an authorized one is refused; the rest of the batch goes on.
    assert codes(licensing.authorize(ISSUING, a, d)) == {a: "already_authorized", d: "authorized"}
    assert licensing.settled(ISSUING, d)[d]["sync_error"] == "no_remaining_entitlement"

    # Cancel: clears date, authorizer and validity, records the cancel time, releases the seat.
    assert codes(licensing.cancel(ISSUING, b, d)) == {b: "cancelled", d: "cancelled"}
    item = licensing.settled(ISSUING, b, d)[b]
    assert item["authorization_status"] == "unauthorized" and item["cancelled_at"]
    assert (item["authorized_at"], item["authorized_by"], item["valid_from"], item["valid_to"]) == (None, None, None, None)
    assert (item["sync_action"], item["sync_status"]) == ("cancel", "succeeded")
    unlock_on = (date.today() + timedelta(days=60)).isoformat()
    assert licensing.capabilities(b) == {"tax_id": b, "can_issue": False, "can_receive": False, "locked_until": unlock_on}

    # Cancelling unauthorized ones is refused; the cancelled one is locked.
    assert codes(licensing.cancel(ISSUING, b, e)) == {b: "not_authorized", e: "not_authorized"}
    locked = licensing.authorize(ISSUING, b)[b]
    assert (locked["ok"], locked["code"], locked["unlock_on"]) == (False, "reauthorization_locked", unlock_on)

    # A manual re-sync succeeds now that a seat is free.
    assert codes(licensing.sync(ISSUING, "authorize", c)) == {c: "sync_requested"}
    item = licensing.settled(ISSUING, c)[c]
    assert (item["sync_status"], item["sync_error"], item["valid_to"]) == ("succeeded", None, line["valid_to"])
    assert licensing.capabilities(c)["can_issue"] is True
    assert codes(licensing.sync(ISSUING, "authorize", b)) == {b: "not_authorized"}
    assert codes(licensing.sync(ISSUING, "cancel", a, b)) == {a: "still_authorized", b: "sync_requested"}
    assert licensing.settled(ISSUING, b)[b]["sync_status"] == "succeeded"

    # The 60-day lock: still locked at day 59, free at day 60 (then no seat is left: a and c hold both).
    try:
        suite.move_clock(59)
        assert codes(licensing.authorize(ISSUING, b)) == {b: "reauthorization_locked"}
        suite.move_clock(1)
        assert codes(licensing.authorize(ISSUING, b)) == {b: "authorized"}
        assert licensing.settled(ISSUING, b)[b]["sync_error"] == "no_remaining_entitlement"
    finally:
        suite.reset_clock()

    # A temporary license needs a serial number: without it the sync fails, with it the sync succeeds.
    assert licensing.api.put("/licensing/v1/erp-instance", json={"license_type": "temporary"}).status_code == 200
    result = licensing.authorize(RECEIVING, a)[a]
    assert (result["ok"], result["sync_status"], result["sync_error"]) == (True, "failed", "serial_number_required")
    assert licensing.items(RECEIVING)[a]["sync_error"] == "serial_number_required"
    serials = {"invoice_issuing": line["serial_number"], "invoice_receiving": line["receiving_serial_number"]}
    assert licensing.api.put("/licensing/v1/serial-numbers", json=serials).status_code == 200
    assert codes(licensing.sync(RECEIVING, "authorize", a)) == {a: "sync_requested"}
    item = licensing.settled(RECEIVING, a)[a]
    assert (item["sync_status"], item["sync_error"]) == ("succeeded", None)
    assert licensing.capabilities(a) == {"tax_id": a, "can_issue": True, "can_receive": True, "locked_until": None}
    assert licensing.a_over_aa(RECEIVING) == (1, 1)


def test_authorizations_survive_a_broker_restart_and_killed_workers(suite, admin_token):
    if suite.variant != "rabbitmq_postgres":
        pytest.skip("the broker restart needs RabbitMQ")
    seats = 24
    licensing, tax_ids, line = licensed_tenant(suite, admin_token, issuing_seats=seats, enterprises=seats + 1)
    batches = [tax_ids[i : i + 6] for i in range(0, seats, 6)]
    extra = tax_ids[seats]

    assert all(r["ok"] for r in licensing.authorize(ISSUING, *batches[0]).values())
    suite.suite.restart("entitlements-worker")
    assert all(r["ok"] for r in licensing.authorize(ISSUING, *batches[1]).values())
    try:
        suite.stop_broker()
        assert all(r["ok"] for r in licensing.authorize(ISSUING, *batches[2]).values())
        suite.suite.restart("licensing-worker")
    finally:
        suite.start_broker()
    assert all(r["ok"] for r in licensing.authorize(ISSUING, *batches[3]).values())
    suite.suite.restart("entitlements-worker")

    items = licensing.settled(ISSUING, *tax_ids[:seats], timeout=120)
    assert {items[t]["sync_status"] for t in tax_ids[:seats]} == {"succeeded"}
    assert licensing.a_over_aa(ISSUING) == (seats, seats)
    held = licensing.api.get("/entitlements/v1/allocations", params={"product_code": line["product_code"], "page_size": 200})
    assert sorted(a["tax_id"] for a in held.json()["items"]) == sorted(tax_ids[:seats]), held.text
    # Had any seat been granted twice, one of these would have been refused; and none is left over.
    assert codes(licensing.authorize(ISSUING, extra)) == {extra: "authorized"}
    assert licensing.settled(ISSUING, extra)[extra]["sync_error"] == "no_remaining_entitlement"


def test_an_enterprise_moved_to_another_tenant_takes_its_seat_and_license_along(suite, admin_token):
    """ENT-8 through licensing: after staff approve a move, both tenants' A/AA and the license follow it."""
    old, (moved, kept), _line = licensed_tenant(suite, admin_token, issuing_seats=2, enterprises=2)
    assert codes(old.authorize(ISSUING, moved, kept)) == {moved: "authorized", kept: "authorized"}
    assert {item["sync_status"] for item in old.settled(ISSUING, moved, kept).values()} == {"succeeded"}
    assert old.a_over_aa(ISSUING) == (2, 2)
    new, _own, _ = licensed_tenant(suite, admin_token, issuing_seats=1, enterprises=1)

    # the new tenant asks for the enterprise (it got the masked 409 when adding it), platform staff approve
    request = {"kind": "enterprise_move", "tax_id": moved, "reason": "企业所属租户有误"}
    asked = new.api.post("/entitlements/v1/change-requests", json=request)
    assert asked.status_code == 201, asked.text
    reviewed = suite.api(admin_token).post(f"/entitlements/v1/change-requests/{asked.json()['id']}/review",
                                           json={"decision": "approve", "comment": "核实无误"})
    assert reviewed.status_code == 200, reviewed.text

    # licensing follows: the seat and the granted license leave the old tenant for the new one
    wait_until(lambda: old.a_over_aa(ISSUING) == (1, 1), 20, interval=0.2, what="the old tenant's A/AA to follow the move")
    wait_until(lambda: new.a_over_aa(ISSUING) == (1, 2), 20, interval=0.2, what="the new tenant's A/AA to follow the move")
    item = new.items(ISSUING)[moved]
    assert (item["authorization_status"], item["sync_status"]) == ("authorized", "succeeded")
    assert moved not in old.items(ISSUING)
