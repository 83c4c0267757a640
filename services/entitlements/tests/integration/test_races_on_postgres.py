"""Races on PostgreSQL: concurrent requests never over-allocate, over-draw, reuse a key, double-approve or double-grant."""
from __future__ import annotations

from sqlalchemy import func, select

from services.entitlements.adapters.orm import allocations, change_requests, license_grants, order_lines, usage_ledger
from services.entitlements.service_layer.licenses import on_license_authorized
from services.entitlements.tests.portal import USCC
from shared.testkit import race

T1 = "tenant-1"
RACERS = 8
LEGACY_15 = "330100716105852"


def _scalar(portal, query):
    with portal.context.session_factory() as session:
        return session.execute(query).scalar_one()


def _seat_line(portal, quantity):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    return portal.activated_order(T1, {"product_code": "FP-ISSUE", "quantity": quantity})["lines"][0]


def _legacy_tax_ids(count):
    """Distinct valid 17-character legacy tax IDs (15-digit ID number + 2-digit sequence)."""
    return [f"110105491231002{i:02d}" for i in range(count)]


def test_concurrent_allocations_never_exceed_the_line_quantity(pg_portal):
    line = _seat_line(pg_portal, quantity=3)
    firms = [pg_portal.enterprise(T1, tax_id)["id"] for tax_id in _legacy_tax_ids(RACERS)]

    def allocate(i):
        with pg_portal.app.test_client() as client:
            return client.post("/entitlements/v1/allocations", headers=pg_portal.admin(T1),
                               json={"order_line_id": line["id"], "enterprise_ids": [firms[i]]}).status_code

    statuses = race(RACERS, allocate)
    assert sorted(statuses) == [201] * 3 + [409] * (RACERS - 3)
    assert _scalar(pg_portal, select(order_lines.c.allocated).where(order_lines.c.id == line["id"])) == 3
    assert _scalar(pg_portal, select(func.count()).select_from(allocations)) == 3


def test_concurrent_pairs_are_all_or_nothing(pg_portal):
    line = _seat_line(pg_portal, quantity=5)
    firms = [pg_portal.enterprise(T1, tax_id)["id"] for tax_id in _legacy_tax_ids(RACERS * 2)]

    def allocate(i):
        with pg_portal.app.test_client() as client:
            return client.post("/entitlements/v1/allocations", headers=pg_portal.admin(T1),
                               json={"order_line_id": line["id"], "enterprise_ids": firms[2 * i:2 * i + 2]}).status_code

    statuses = race(RACERS, allocate)
    assert statuses.count(201) == 2
    assert _scalar(pg_portal, select(func.count()).select_from(allocations)) == 4


def test_racing_deductions_never_exceed_the_pool(pg_portal):
    pg_portal.tenant_known(T1)
    pg_portal.product("CHECK", kind="traffic")
    pg_portal.activated_order(T1, {"product_code": "CHECK", "quantity": 10, "valid_to": "2026-06-30"},
                              {"product_code": "CHECK", "quantity": 15, "valid_to": "2026-12-31"})
    pg_portal.enterprise(T1, USCC[0])
    pg_portal.enterprise(T1, USCC[1])

    def use(i):
        with pg_portal.app.test_client() as client:
            return client.post("/entitlements/v1/usage", headers=pg_portal.admin(T1),
                               json={"product_code": "CHECK", "tax_id": USCC[i % 2], "units": 3 + (i % 3)}).status_code

    statuses = race(RACERS * 2, use)
    assert set(statuses) <= {201, 409}
    used = _scalar(pg_portal, select(func.coalesce(func.sum(usage_ledger.c.units), 0)))
    left = _scalar(pg_portal, select(func.sum(order_lines.c.remaining)))
    assert used + left == 25 and used <= 25 and left >= 0
    assert _scalar(pg_portal, select(func.min(order_lines.c.remaining))) >= 0
    assert statuses.count(201) >= 5


def test_racing_batches_and_singles_keep_the_books_balanced(pg_portal):
    pg_portal.tenant_known(T1)
    pg_portal.product("CHECK", kind="traffic")
    pg_portal.activated_order(T1, {"product_code": "CHECK", "quantity": 500, "valid_to": "2026-06-30"},
                              {"product_code": "CHECK", "quantity": 500, "valid_to": "2026-12-31"})
    pg_portal.enterprise(T1, USCC[0])
    item = {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}

    def use(i):
        with pg_portal.app.test_client() as client:
            if i % 2:
                return client.post("/entitlements/v1/usage/batch", headers=pg_portal.admin(T1), json={"items": [item] * 200}).json
            return client.post("/entitlements/v1/usage", headers=pg_portal.admin(T1), json={**item, "units": 7}).json

    race(RACERS, use)
    used = _scalar(pg_portal, select(func.coalesce(func.sum(usage_ledger.c.units), 0)))
    left = _scalar(pg_portal, select(func.sum(order_lines.c.remaining)))
    assert used + left == 1000 and left >= 0 and used == 4 * 7 + 4 * 200


def test_an_operation_key_activates_once_under_concurrency(pg_portal):
    pg_portal.tenant_known(T1)
    pg_portal.product("FP-ISSUE")
    order = pg_portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 1})
    key = pg_portal.operation_key(order["id"])

    def activate(i):
        with pg_portal.app.test_client() as client:
            return client.post("/entitlements/v1/orders/activate", headers=pg_portal.admin(T1),
                               json={"operation_key": key, "erp": "eas", "deployment": "public_cloud"}).status_code

    assert sorted(race(RACERS, activate)) == [200] + [422] * (RACERS - 1)


def test_a_change_request_is_approved_exactly_once(pg_portal):
    line = _seat_line(pg_portal, quantity=2)
    pg_portal.tenant_known("tenant-2")
    firm = pg_portal.enterprise(T1, USCC[0])
    pg_portal.allocate(T1, line["id"], [firm["id"]])
    request = pg_portal.client.post("/entitlements/v1/change-requests", headers=pg_portal.admin("tenant-2"),
                                    json={"kind": "enterprise_move", "tax_id": USCC[0], "reason": "r"}).json

    def approve(i):
        with pg_portal.app.test_client() as client:
            return client.post(f"/entitlements/v1/change-requests/{request['id']}/review", headers=pg_portal.staff("support"),
                               json={"decision": "approve"}).status_code

    assert sorted(race(RACERS, approve)) == [200] + [409] * (RACERS - 1)
    assert _scalar(pg_portal, select(change_requests.c.status)) == "approved"
    assert _scalar(pg_portal, select(func.sum(order_lines.c.quantity))) == 2  # moved, not duplicated or lost
    assert _scalar(pg_portal, select(func.count()).select_from(allocations)) == 1


def test_concurrent_authorizations_take_one_seat_per_tax_id_and_never_too_many(pg_portal):
    pg_portal.tenant_known(T1)
    pg_portal.product("FP-ISSUE")
    pg_portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2})
    tax_ids = [USCC[0]] * 4 + [LEGACY_15] * 2 + _legacy_tax_ids(2)

    def authorize(i):
        data = {"tenant_id": T1, "request_id": f"r-{i}", "tax_id": tax_ids[i], "enterprise_name": f"企业{i}",
                "service_group": "invoice_issuing", "serial_number": None, "license_type": "formal", "idc": False}
        return pg_portal.run(on_license_authorized, data)

    results = race(len(tax_ids), authorize)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _scalar(pg_portal, select(func.count()).select_from(allocations)) == 2
    assert _scalar(pg_portal, select(func.count()).select_from(license_grants)) == 2
    assert _scalar(pg_portal, select(order_lines.c.allocated)) == 2
    granted = pg_portal.events("entitlements.seat.granted.v1")
    refused = pg_portal.events("entitlements.seat.refused.v1")
    assert len(granted) + len(refused) == len(tax_ids)
    assert len({g["tax_id"] for g in granted}) == 2
