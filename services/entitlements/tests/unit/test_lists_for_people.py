"""Lists people use (issue 19): enterprises by name or tax ID, an order by its number (the tenant, and
support across tenants, who then resend its activation mail); unknown parameters and bad values are 422."""
from __future__ import annotations

import pytest

from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def _enterprises(portal, client, **params):
    response = client.get("/entitlements/v1/enterprises", headers=portal.admin(T1), query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def test_enterprises_are_found_by_part_of_the_name_or_the_tax_id(portal, client):
    portal.tenant_known(T1)
    portal.tenant_known(T2)
    portal.enterprise(T1, USCC[0], name="苏州星河软件有限公司")
    portal.enterprise(T1, USCC[1], name="深圳银河贸易有限公司")
    portal.enterprise(T2, USCC[2], name="北京星河物流有限公司")  # another tenant's: never found
    assert [e["name"] for e in _enterprises(portal, client, q="星河")["items"]] == ["苏州星河软件有限公司"]
    assert [e["tax_id"] for e in _enterprises(portal, client, q="71526726xg")["items"]] == [USCC[1]]
    found = _enterprises(portal, client, q="有限公司", page_size=1)
    assert (found["total"], len(found["items"]), found["page"], found["page_size"]) == (2, 1, 1, 1)
    assert _enterprises(portal, client, q="%")["total"] == 0  # wildcards are searched for literally
    assert _enterprises(portal, client, q="_")["total"] == 0
    assert _enterprises(portal, client)["total"] == 2


def test_an_order_is_found_by_its_number_by_the_tenant_and_by_support_across_tenants(portal, client):
    portal.tenant_known(T1)
    portal.tenant_known(T2, name="深圳第二示例有限公司")
    portal.product("FP-ISSUE")
    mine = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 1})
    other = portal.deliver(T2, {"product_code": "FP-ISSUE", "quantity": 1})
    own = client.get("/entitlements/v1/orders", headers=portal.admin(T1), query_string={"order_no": mine["order_no"].lower()})
    assert [o["id"] for o in own.json["items"]] == [mine["id"]] and own.json["total"] == 1
    foreign = client.get("/entitlements/v1/orders", headers=portal.admin(T1), query_string={"order_no": other["order_no"]})
    assert foreign.status_code == 200 and foreign.json["items"] == [] and foreign.json["total"] == 0

    support = portal.staff("support")
    found = client.get("/entitlements/v1/orders", headers=support, query_string={"order_no": other["order_no"]})
    assert [(o["id"], o["tenant_id"], o["tenant_name"]) for o in found.json["items"]] == [(other["id"], T2, "深圳第二示例有限公司")]
    old_key = portal.operation_key(other["id"])
    resent = client.post(f"/entitlements/v1/orders/{found.json['items'][0]['id']}/resend-activation", headers=support)
    assert resent.status_code == 200 and resent.json["order_no"] == other["order_no"]
    event = portal.events("entitlements.order.delivered.v1")[-1]
    assert event["resent"] is True and event["order_no"] == other["order_no"] and portal.operation_key(other["id"]) != old_key


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/entitlements/v1/orders", {"order_no": "EO 1; drop"}, "order_no"),
    ("/entitlements/v1/orders", {"q": "EO2026"}, "q"),  # orders have no ?q=: refused, not "everything"
    ("/entitlements/v1/orders", {"status": "bogus"}, "status"),
    ("/entitlements/v1/enterprises", {"q": ""}, "q"),
    ("/entitlements/v1/enterprises", {"q": "x" * 101}, "q"),
    ("/entitlements/v1/enterprises", {"name": "星河"}, "name"),
    ("/entitlements/v1/allocations", {"bogus": "1"}, "bogus"),
])
def test_unknown_parameters_and_bad_filter_values_are_422(portal, client, path, params, field):
    portal.tenant_known(T1)
    response = client.get(path, headers=portal.admin(T1), query_string=params)
    assert response.status_code == 422, response.json
    assert response.json["code"] == "validation_failed" and field in response.json["errors"]
