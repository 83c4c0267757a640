"""Traffic consumption (ENT-7): shared pool, earliest expiry first, strict, idempotent, ledger and daily totals."""
from __future__ import annotations

from sqlalchemy import select

from services.entitlements.adapters.orm import order_lines, usage_daily, usage_ledger
from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def _pool(portal, *quantities_and_ends, units_per_use=1):
    portal.tenant_known(T1)
    portal.product("CHECK", kind="traffic", traffic_category="invoice_verification", units_per_use=units_per_use)
    order = portal.activated_order(T1, *[
        {"product_code": "CHECK", "quantity": quantity, "valid_to": valid_to} for quantity, valid_to in quantities_and_ends
    ])
    portal.enterprise(T1, USCC[0])
    portal.enterprise(T1, USCC[1])
    return order


def _remaining(portal):
    with portal.context.session_factory() as session:
        return dict(session.execute(select(order_lines.c.valid_to, order_lines.c.remaining)).all())


def test_one_pool_is_shared_by_every_tax_id_of_the_tenant(portal):
    _pool(portal, (10, "2026-12-31"))
    first = portal.use(portal.admin(T1), "CHECK", USCC[0], 4)
    assert first.status_code == 201 and first.json["remaining"] == 6
    second = portal.use(portal.admin(T1), "CHECK", USCC[1], 6)
    assert second.status_code == 201 and second.json["remaining"] == 0
    empty = portal.use(portal.admin(T1), "CHECK", USCC[0], 1)
    assert empty.status_code == 409 and empty.json["code"] == "insufficient_quota"


def test_earliest_expiring_line_is_drawn_first_across_lines(portal):
    from datetime import date

    _pool(portal, (100, "2026-12-31"), (5, "2026-06-30"))
    assert portal.use(portal.admin(T1), "CHECK", USCC[0], 8).json["remaining"] == 97
    assert _remaining(portal) == {date(2026, 6, 30): 0, date(2026, 12, 31): 97}
    assert portal.count(usage_ledger) == 2


def test_not_enough_is_409_and_deducts_nothing(portal):
    _pool(portal, (3, "2026-06-30"), (4, "2026-12-31"))
    response = portal.use(portal.admin(T1), "CHECK", USCC[0], 8)
    assert response.status_code == 409 and response.json["available"] == 7
    assert sum(_remaining(portal).values()) == 7
    assert portal.count(usage_ledger) == 0 and portal.count(usage_daily) == 0


def test_deduction_rule_charges_units_per_use(portal):
    _pool(portal, (10, "2026-12-31"), units_per_use=3)
    response = portal.use(portal.admin(T1), "CHECK", USCC[0], 2)
    assert response.json == {"remaining": 4, "deducted": 6, "product_code": "CHECK", "tax_id": USCC[0], "reference": None}


def test_expired_and_not_activated_lines_do_not_feed_the_pool(portal, clock):
    _pool(portal, (10, "2026-01-31"))
    portal.deliver(T1, {"product_code": "CHECK", "quantity": 50})
    assert portal.use(portal.admin(T1), "CHECK", USCC[0], 11).status_code == 409
    clock.advance(days=31)
    assert portal.use(portal.admin(T1), "CHECK", USCC[0], 1).json["code"] == "insufficient_quota"


def test_replay_with_the_same_key_deducts_once(portal):
    _pool(portal, (10, "2026-12-31"))
    first = portal.use(portal.admin(T1), "CHECK", USCC[0], 2, key="k-1", reference="INV-1")
    replay = portal.use(portal.admin(T1), "CHECK", USCC[0], 2, key="k-1", reference="INV-1")
    assert replay.status_code == 201 and replay.json == first.json
    assert replay.headers["Idempotent-Replayed"] == "true"
    reused = portal.use(portal.admin(T1), "CHECK", USCC[0], 3, key="k-1", reference="INV-1")
    assert reused.status_code == 422 and reused.json["code"] == "idempotency_key_reused"
    assert sum(_remaining(portal).values()) == 8


def test_ledger_and_daily_totals_record_every_use(portal, client):
    _pool(portal, (10, "2026-12-31"))
    portal.use(portal.admin(T1), "CHECK", USCC[0], 2, reference="INV-1")
    portal.use(portal.admin(T1), "CHECK", USCC[0], 3, reference="INV-2")
    portal.use(portal.admin(T1), "CHECK", USCC[1], 1, reference="INV-3")
    ledger = client.get(f"/entitlements/v1/usage?tax_id={USCC[0]}", headers=portal.admin(T1)).json
    assert [e["reference"] for e in ledger["items"]] == ["INV-2", "INV-1"]
    assert ledger["items"][0]["used_at"].endswith("Z")
    daily = client.get("/entitlements/v1/usage/daily?from=2026-01-01&to=2026-01-01", headers=portal.admin(T1)).json
    assert {(d["tax_id"], d["units"], d["uses"]) for d in daily["items"]} == {(USCC[0], 5, 5), (USCC[1], 1, 1)}


def test_api_client_consumes_only_for_its_own_tax_id(portal):
    _pool(portal, (10, "2026-12-31"))
    own = portal.use(portal.api_client(T1, USCC[0]), "CHECK", USCC[0], 1)
    assert own.status_code == 201
    other = portal.use(portal.api_client(T1, USCC[0]), "CHECK", USCC[1], 1)
    assert other.status_code == 403 and other.json["code"] == "tax_id_not_allowed"
    assert sum(_remaining(portal).values()) == 9


def test_bad_usage_input_is_4xx_and_deducts_nothing(portal):
    _pool(portal, (10, "2026-12-31"))
    cases = [
        ({"product_code": "CHECK", "tax_id": USCC[0], "units": 0}, 422),
        ({"product_code": "CHECK", "tax_id": USCC[0], "units": 10**15}, 422),
        ({"product_code": "NOPE", "tax_id": USCC[0], "units": 1}, 422),
        ({"product_code": "CHECK", "tax_id": "91110000802100433X", "units": 1}, 422),
        ({"product_code": "CHECK", "units": 1}, 422),
    ]
    for body, status in cases:
        response = portal.client.post("/entitlements/v1/usage", json=body, headers=portal.admin(T1))
        assert response.status_code == status, (body, response.json)
    assert portal.client.post("/entitlements/v1/usage", data="{", content_type="application/json",
                              headers=portal.admin(T1)).status_code == 400
    assert sum(_remaining(portal).values()) == 10 and portal.count(usage_ledger) == 0


def test_another_tenants_tax_id_is_not_usable(portal):
    _pool(portal, (10, "2026-12-31"))
    portal.tenant_known(T2)
    portal.enterprise(T2, "330100716105852")
    response = portal.use(portal.admin(T1), "CHECK", "330100716105852", 1)
    assert response.status_code == 422 and "tax_id" in response.json["errors"]


def test_batch_gives_per_item_results_against_one_pool(portal):
    _pool(portal, (5, "2026-06-30"), (5, "2026-12-31"))
    items = [
        {"product_code": "CHECK", "tax_id": USCC[0], "units": 4, "reference": "a"},
        {"product_code": "CHECK", "tax_id": USCC[1], "units": 4, "reference": "b"},
        {"product_code": "CHECK", "tax_id": USCC[0], "units": 4, "reference": "c"},
        {"product_code": "NOPE", "tax_id": USCC[0], "units": 1},
        {"product_code": "CHECK", "tax_id": "330100716105852", "units": 1},
        {"product_code": "CHECK", "tax_id": USCC[1], "units": 2},
    ]
    response = portal.client.post("/entitlements/v1/usage/batch", json={"items": items}, headers=portal.admin(T1))
    assert response.status_code == 200
    results = response.json["results"]
    assert [(r["ok"], r["code"]) for r in results] == [
        (True, None), (True, None), (False, "insufficient_quota"), (False, "unknown_product"), (False, "unknown_tax_id"),
        (True, None)]
    assert [r["remaining"] for r in results if r["ok"]] == [6, 2, 0]
    assert response.json["accepted"] == 3 and sum(_remaining(portal).values()) == 0
    assert portal.count(usage_ledger) == 4  # item b spans both lines


def test_batch_is_idempotent_and_limited_to_1000_items(portal):
    _pool(portal, (5000, "2026-12-31"))
    item = {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}
    headers = {**portal.admin(T1), "Idempotency-Key": "batch-1"}
    first = portal.client.post("/entitlements/v1/usage/batch", json={"items": [item] * 1000}, headers=headers)
    again = portal.client.post("/entitlements/v1/usage/batch", json={"items": [item] * 1000}, headers=headers)
    assert first.json == again.json and first.json["accepted"] == 1000
    assert sum(_remaining(portal).values()) == 4000
    too_many = portal.client.post("/entitlements/v1/usage/batch", json={"items": [item] * 1001}, headers=portal.admin(T1))
    assert too_many.status_code == 422


def test_batch_client_items_for_other_tax_ids_are_refused(portal):
    _pool(portal, (5, "2026-12-31"))
    items = [{"product_code": "CHECK", "tax_id": USCC[0], "units": 1}, {"product_code": "CHECK", "tax_id": USCC[1], "units": 1}]
    response = portal.client.post("/entitlements/v1/usage/batch", json={"items": items}, headers=portal.api_client(T1, USCC[0]))
    assert [r["code"] for r in response.json["results"]] == [None, "tax_id_not_allowed"]
