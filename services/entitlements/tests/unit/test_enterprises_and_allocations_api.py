"""Enterprises by tax ID (ENT-4) and allocation of seat lines (ENT-5)."""
from __future__ import annotations

from services.entitlements.adapters.orm import allocations, enterprises
from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def test_enterprise_is_validated_and_filled_from_the_registration_lookup(portal, client):
    portal.tenant_known(T1)
    created = client.post("/entitlements/v1/enterprises", headers=portal.admin(T1),
                          json={"name": "杭州示例网络有限公司", "tax_id": USCC[0].lower()})
    assert created.status_code == 201
    assert created.json["tax_id"] == USCC[0] and created.json["registration"]["status"] == "存续"
    unknown = portal.enterprise(T1, "330100716105852", "老税号企业")
    assert unknown["registration"] is None
    listed = client.get("/entitlements/v1/enterprises?page_size=1", headers=portal.admin(T1)).json
    assert listed["total"] == 2 and len(listed["items"]) == 1


def test_bad_check_character_is_422_on_tax_id_and_adds_nothing(portal, client):
    portal.tenant_known(T1)
    response = client.post("/entitlements/v1/enterprises", headers=portal.admin(T1),
                           json={"name": "坏税号有限公司", "tax_id": USCC[0][:17] + "G"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "GB 32100" in response.json["errors"]["tax_id"][0]
    assert portal.count(enterprises) == 0


def test_enterprise_of_another_tenant_is_409_with_the_masked_tenant_name(portal, client):
    portal.tenant_known(T1, name="苏州工业园区示例科技有限公司")
    portal.tenant_known(T2, name="上海另一家有限公司")
    portal.enterprise(T1, USCC[1])
    response = client.post("/entitlements/v1/enterprises", headers=portal.admin(T2), json={"name": "x", "tax_id": USCC[1]})
    assert response.status_code == 409
    assert response.json["code"] == "enterprise_bound_to_other_tenant"
    assert response.json["tenant_name"] == "苏州XXXX有限公司"
    assert "苏州XXXX有限公司" in response.json["detail"] and "示例科技" not in response.text
    same = client.post("/entitlements/v1/enterprises", headers=portal.admin(T1), json={"name": "x", "tax_id": USCC[1]})
    assert same.status_code == 409 and same.json["code"] == "enterprise_exists"


def test_enterprise_of_another_tenant_is_not_found(portal, client):
    portal.tenant_known(T1)
    portal.tenant_known(T2)
    enterprise = portal.enterprise(T1, USCC[0])
    assert client.get(f"/entitlements/v1/enterprises/{enterprise['id']}", headers=portal.admin(T2)).status_code == 404
    assert client.get(f"/entitlements/v1/enterprises/{enterprise['id']}", headers=portal.admin(T1)).status_code == 200


def _seat_setup(portal, quantity=2):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    order = portal.activated_order(T1, {"product_code": "FP-ISSUE", "quantity": quantity, "serial_number": "SN-ISSUE-1"})
    firms = [portal.enterprise(T1, tax_id) for tax_id in USCC]
    return order["lines"][0], firms


def test_allocation_takes_seats_and_asks_identity_for_first_api_clients(portal, client):
    line, firms = _seat_setup(portal)
    response = portal.allocate(T1, line["id"], [firms[0]["id"]])
    assert response.status_code == 201
    assert response.json["allocated"] == 1 and response.json["unallocated"] == 1
    [event] = portal.events("entitlements.seats.allocated.v1")
    assert event["order_line_id"] == line["id"] and event["service_group"] == "invoice_issuing"
    assert event["allocations"] == [{"enterprise_id": firms[0]["id"], "tax_id": USCC[0], "enterprise_name": firms[0]["name"],
                                     "first_for_enterprise": True}]
    assert event["recipient"]["email"]
    results = client.get(f"/entitlements/v1/allocations?order_line_id={line['id']}", headers=portal.admin(T1)).json
    assert results["total"] == 1 and results["items"][0]["tax_id"] == USCC[0]
    assert results["items"][0]["serial_number"] == "SN-ISSUE-1" and results["items"][0]["authorisation"] is None


def test_over_allocation_is_409_and_takes_nothing(portal):
    line, firms = _seat_setup(portal)
    response = portal.allocate(T1, line["id"], [f["id"] for f in firms])
    assert response.status_code == 409 and response.json["code"] == "quantity_exceeded"
    assert response.json["remaining"] == 2
    assert portal.count(allocations) == 0 and portal.events("entitlements.seats.allocated.v1") == []
    assert portal.allocate(T1, line["id"], [firms[0]["id"], firms[1]["id"]]).status_code == 201
    last = portal.allocate(T1, line["id"], [firms[2]["id"]])
    assert last.status_code == 409 and last.json["remaining"] == 0


def test_an_enterprise_holds_one_seat_per_line(portal):
    line, firms = _seat_setup(portal, quantity=5)
    assert portal.allocate(T1, line["id"], [firms[0]["id"]]).status_code == 201
    again = portal.allocate(T1, line["id"], [firms[0]["id"], firms[1]["id"]])
    assert again.status_code == 409 and again.json["code"] == "already_allocated"
    duplicate = portal.allocate(T1, line["id"], [firms[1]["id"], firms[1]["id"]])
    assert duplicate.status_code == 422
    assert portal.count(allocations) == 1


def test_allocation_needs_activation(portal):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    order = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2})
    firm = portal.enterprise(T1, USCC[0])
    response = portal.allocate(T1, order["lines"][0]["id"], [firm["id"]])
    assert response.status_code == 409 and response.json["code"] == "order_not_activated"


def test_allocation_refuses_expired_lines_traffic_lines_and_foreign_ids(portal, clock):
    line, firms = _seat_setup(portal)
    portal.tenant_known(T2)
    foreign_firm = portal.enterprise(T2, "330100716105852")
    assert portal.allocate(T2, line["id"], [foreign_firm["id"]]).status_code == 404
    foreign = portal.allocate(T1, line["id"], [foreign_firm["id"]])
    assert foreign.status_code == 422 and "enterprise_ids" in foreign.json["errors"]
    portal.product("SMS", kind="traffic")
    traffic = portal.activated_order(T1, {"product_code": "SMS", "quantity": 10})
    assert portal.allocate(T1, traffic["lines"][0]["id"], [firms[0]["id"]]).json["code"] == "not_a_seat_line"
    clock.advance(days=400)
    assert portal.allocate(T1, line["id"], [firms[0]["id"]]).json["code"] == "line_expired"
    assert portal.count(allocations) == 0


def test_second_allocation_of_an_enterprise_is_not_its_first(portal):
    line, firms = _seat_setup(portal)
    portal.product("FP-RECEIVE", service_group="invoice_receiving")
    other = portal.activated_order(T1, {"product_code": "FP-RECEIVE", "quantity": 1})
    portal.allocate(T1, line["id"], [firms[0]["id"]])
    portal.allocate(T1, other["lines"][0]["id"], [firms[0]["id"]])
    flags = [e["allocations"][0]["first_for_enterprise"] for e in portal.events("entitlements.seats.allocated.v1")]
    assert flags == [True, False]


def test_issued_api_client_shows_as_authorisation_info(portal, client):
    from services.entitlements.service_layer.enterprises import on_api_client_issued

    line, firms = _seat_setup(portal)
    portal.allocate(T1, line["id"], [firms[0]["id"]])
    portal.run(on_api_client_issued, {"tenant_id": T1, "enterprise_id": firms[0]["id"], "tax_id": USCC[0], "client_id": "cli-1"})
    [item] = client.get("/entitlements/v1/allocations?product_code=FP-ISSUE", headers=portal.admin(T1)).json["items"]
    assert item["authorisation"]["client_id"] == "cli-1"


def test_registration_lookup_validates_and_fills_without_adding(portal, client):
    portal.tenant_known(T1)
    found = client.get(f"/entitlements/v1/registrations/{USCC[0].lower()}", headers=portal.admin(T1))
    assert found.status_code == 200
    assert found.json == {"tax_id": USCC[0], "registration": found.json["registration"], "bound": None, "tenant_name": None}
    assert found.json["registration"]["registered_name"] == "杭州示例网络有限公司"
    unknown = client.get("/entitlements/v1/registrations/330100716105852", headers=portal.admin(T1)).json
    assert unknown["registration"] is None
    assert portal.count(enterprises) == 0


def test_registration_lookup_of_a_bad_check_character_is_422_on_tax_id(portal, client):
    portal.tenant_known(T1)
    response = client.get(f"/entitlements/v1/registrations/{USCC[0][:17]}G", headers=portal.admin(T1))
    assert response.status_code == 422
    assert "check character" in response.json["errors"]["tax_id"][0]


def test_registration_lookup_says_where_a_tax_id_is_bound_with_the_other_tenant_masked(portal, client):
    portal.tenant_known(T1, name="苏州工业园区示例科技有限公司")
    portal.tenant_known(T2, name="上海另一家有限公司")
    portal.enterprise(T1, USCC[1])
    own = client.get(f"/entitlements/v1/registrations/{USCC[1]}", headers=portal.admin(T1)).json
    other = client.get(f"/entitlements/v1/registrations/{USCC[1]}", headers=portal.admin(T2)).json
    assert own["bound"] == "own" and own["tenant_name"] is None
    assert other["bound"] == "other" and other["tenant_name"] == "苏州XXXX有限公司"
    assert client.get(f"/entitlements/v1/registrations/{USCC[1]}", headers=portal.staff()).status_code == 403


def test_allocation_results_of_chosen_enterprises_only(portal, client):
    line, firms = _seat_setup(portal, quantity=3)
    assert portal.allocate(T1, line["id"], [firms[0]["id"], firms[1]["id"]]).status_code == 201
    url = f"/entitlements/v1/allocations?order_line_id={line['id']}&enterprise_ids={firms[1]['id']},{firms[2]['id']}"
    chosen = client.get(url, headers=portal.admin(T1)).json
    assert [item["enterprise_id"] for item in chosen["items"]] == [firms[1]["id"]] and chosen["total"] == 1
    too_many = ",".join(["x"] * 201)
    refused = client.get(f"/entitlements/v1/allocations?enterprise_ids={too_many}", headers=portal.admin(T1))
    assert refused.status_code == 422 and "enterprise_ids" in refused.json["errors"]
