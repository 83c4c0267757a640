"""Tenant-level traffic drawn by a platform service (the notifier's SMS, ENT-7): the service names the
tenant, may leave out the tax ID, draws once per Idempotency-Key; nobody else may do either."""
from __future__ import annotations

from sqlalchemy import select

from services.entitlements.adapters.orm import order_lines, usage_daily, usage_ledger
from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def _sms_pool(portal, tenant_id=T1, quantity=3, units_per_use=1):
    portal.tenant_known(tenant_id)
    if not portal.client.get("/entitlements/v1/products?kind=traffic", headers=portal.admin(tenant_id)).json["total"]:
        portal.product("SMS", kind="traffic", traffic_category="sms", units_per_use=units_per_use)
    return portal.activated_order(tenant_id, {"product_code": "SMS", "quantity": quantity, "valid_to": "2026-12-31"})


def _draw(portal, body, headers=None, key=None):
    headers = {**(headers or portal.service()), **({"Idempotency-Key": key} if key else {})}
    return portal.client.post("/entitlements/v1/usage", json=body, headers=headers)


def _sms(tenant_id=T1, reference="message-1", **more):
    return {"tenant_id": tenant_id, "product_code": "SMS", "units": 1, "reference": reference, **more}


def _remaining(portal, tenant_id=T1):
    with portal.context.session_factory() as session:
        return sum(session.execute(select(order_lines.c.remaining).where(order_lines.c.tenant_id == tenant_id)).scalars())


def test_a_service_draws_tenant_level_traffic_for_the_tenant_it_names(portal, client):
    _sms_pool(portal)
    response = _draw(portal, _sms(), key="message-1")
    assert response.status_code == 201, response.json
    assert response.json == {"remaining": 2, "deducted": 1, "product_code": "SMS", "tax_id": None, "reference": "message-1"}
    ledger = client.get("/entitlements/v1/usage?product_code=SMS", headers=portal.admin(T1)).json["items"]
    assert [(e["tax_id"], e["units"], e["reference"]) for e in ledger] == [(None, 1, "message-1")]
    daily = client.get("/entitlements/v1/usage/daily?product_code=SMS", headers=portal.admin(T1)).json["items"]
    assert [(d["tax_id"], d["units"], d["uses"]) for d in daily] == [(None, 1, 1)]
    dashboard = client.get("/entitlements/v1/dashboard", headers=portal.admin(T1))
    assert dashboard.status_code == 200


def test_the_same_message_id_draws_once_however_often_it_is_sent(portal):
    _sms_pool(portal)
    answers = [_draw(portal, _sms(), key="message-1") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None, "true", "true"]
    assert _remaining(portal) == 2 and portal.count(usage_ledger) == 1
    assert _draw(portal, _sms(reference="message-2"), key="message-2").json["remaining"] == 1


def test_an_empty_or_missing_pool_is_409_insufficient_quota(portal):
    _sms_pool(portal, quantity=1)
    assert _draw(portal, _sms(reference="m1"), key="m1").status_code == 201
    empty = _draw(portal, _sms(reference="m2"), key="m2")
    assert empty.status_code == 409 and empty.json["code"] == "insufficient_quota" and empty.json["available"] == 0
    portal.tenant_known(T2)
    none = _draw(portal, _sms(T2, reference="m3"), key="m3")
    assert none.status_code == 409 and none.json["code"] == "insufficient_quota"
    unknown_tenant = _draw(portal, _sms("no-such-tenant", reference="m4"))
    assert unknown_tenant.status_code == 409
    assert portal.count(usage_ledger) == 1


def test_the_tenant_named_is_the_one_drawn_from(portal):
    _sms_pool(portal, T1, quantity=5)
    _sms_pool(portal, T2, quantity=7)
    assert _draw(portal, _sms(T2)).json["remaining"] == 6
    assert _remaining(portal, T1) == 5 and _remaining(portal, T2) == 6


def test_a_service_may_still_draw_for_a_tax_id_of_that_tenant(portal):
    _sms_pool(portal)
    portal.enterprise(T1, USCC[0])
    own = _draw(portal, _sms(tax_id=USCC[0].lower()))
    assert own.status_code == 201 and own.json["tax_id"] == USCC[0]
    other = _draw(portal, _sms(tax_id=USCC[1]))
    assert other.status_code == 422 and "tax_id" in other.json["errors"]
    assert _remaining(portal) == 2


def test_a_service_must_name_the_tenant(portal):
    _sms_pool(portal)
    response = _draw(portal, {"product_code": "SMS", "units": 1})
    assert response.status_code == 422 and "tenant_id" in response.json["errors"]
    assert _remaining(portal) == 3


def test_tenant_admins_and_api_clients_neither_name_a_tenant_nor_omit_the_tax_id(portal):
    _sms_pool(portal)
    portal.enterprise(T1, USCC[0])
    _sms_pool(portal, T2)
    cases = [
        (portal.admin(T1), {"product_code": "SMS", "units": 1}, {"tax_id"}),
        (portal.admin(T1), {"tenant_id": T2, "product_code": "SMS", "tax_id": USCC[0], "units": 1}, {"tenant_id"}),
        (portal.admin(T1), {"tenant_id": T1, "product_code": "SMS", "units": 1}, {"tenant_id", "tax_id"}),
        (portal.api_client(T1, USCC[0]), {"product_code": "SMS", "units": 1}, {"tax_id"}),
        (portal.api_client(T1, USCC[0]), {"tenant_id": T2, "product_code": "SMS", "tax_id": USCC[0], "units": 1}, {"tenant_id"}),
    ]
    for headers, body, fields in cases:
        response = _draw(portal, body, headers)
        assert response.status_code == 422, (body, response.json)
        assert set(response.json["errors"]) == fields
    assert _remaining(portal, T1) == 3 and _remaining(portal, T2) == 3


def test_bad_service_input_is_422_and_draws_nothing(portal):
    _sms_pool(portal)
    for body in (
        _sms(units=0),
        _sms(units=10**12),
        _sms(tenant_id=""),
        _sms(tenant_id="t" * 65),
        _sms(tax_id=""),
        _sms(product_code="NOPE"),
        _sms(reference="r" * 121),
        _sms(extra="field"),
    ):
        response = _draw(portal, body)
        assert response.status_code == 422, (body, response.json)
    assert _remaining(portal) == 3 and portal.count(usage_ledger) == 0


def test_services_get_nothing_else_of_the_usage_api(portal, client):
    _sms_pool(portal)
    assert client.get("/entitlements/v1/usage", headers=portal.service()).status_code == 403
    assert client.get("/entitlements/v1/usage/daily", headers=portal.service()).status_code == 403
    batch = client.post("/entitlements/v1/usage/batch", headers=portal.service(),
                        json={"items": [{"product_code": "SMS", "tax_id": USCC[0], "units": 1}]})
    assert batch.status_code == 403
    assert client.get("/entitlements/v1/orders", headers=portal.service()).status_code == 403
    assert _remaining(portal) == 3


def test_a_role_named_service_in_a_tenant_token_is_no_service(portal):
    _sms_pool(portal)
    forged = portal.tokens.headers(sub="x", org_id=T1, org_kind="tenant", roles=("service",), kind="client")
    assert _draw(portal, _sms(), forged).status_code == 403
    assert _remaining(portal) == 3


def test_a_tenant_merge_adds_up_tenant_level_daily_totals(portal, client):
    _sms_pool(portal, T1)
    _sms_pool(portal, T2)
    assert _draw(portal, _sms(T1, reference="a")).status_code == 201
    assert _draw(portal, _sms(T2, reference="b")).status_code == 201
    assert _draw(portal, _sms(T2, reference="c")).status_code == 201
    request = client.post("/entitlements/v1/change-requests", headers=portal.admin(T1),
                          json={"kind": "tenant_merge", "target_tenant_id": T2, "reason": "集团合并"}).json
    review = client.post(f"/entitlements/v1/change-requests/{request['id']}/review", headers=portal.staff("support"),
                         json={"decision": "approve", "comment": "ok"})
    assert review.status_code == 200, review.json
    with portal.context.session_factory() as session:
        rows = session.execute(select(usage_daily.c.tenant_id, usage_daily.c.tax_id, usage_daily.c.uses)).all()
    assert [tuple(row) for row in rows] == [(T2, "", 3)]
    assert portal.count(usage_ledger) == 3
