"""Lists people use (issue 19): staff search tenants by name or contact, page by page; a tenant's admins are
a page `{items, total, page, page_size}` with each admin's state and last sign-in; unknown parameters are 422."""
from __future__ import annotations

import pytest


def _tenants(client, headers, **params):
    response = client.get("/identity/v1/tenants", headers=headers, query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def test_staff_find_tenants_by_part_of_the_name_or_contact(flows, client, clock):
    flows.create_tenant(name="苏州星河软件有限公司", email="boss@xinghe.test", phone="13800000011")
    clock.advance(seconds=1)
    flows.create_tenant(name="深圳银河贸易有限公司", email="boss@yinhe.test", phone="13900000022")
    clock.advance(seconds=1)
    flows.create_tenant(name="Star 100% Co", email="star@star.test", phone="13700000033")
    staff = flows.admin()
    assert [t["name"] for t in _tenants(client, staff, q="星河")["items"]] == ["苏州星河软件有限公司"]
    assert [t["name"] for t in _tenants(client, staff, q="YINHE.TEST")["items"]] == ["深圳银河贸易有限公司"]
    assert [t["name"] for t in _tenants(client, staff, q="0000033")["items"]] == ["Star 100% Co"]
    assert [t["name"] for t in _tenants(client, staff, q="100%")["items"]] == ["Star 100% Co"]
    assert _tenants(client, staff, q="%")["total"] == 1  # only the name with a literal %
    paged = _tenants(client, staff, q="有限公司", page=2, page_size=1)
    assert (paged["total"], paged["page"], paged["page_size"], [t["name"] for t in paged["items"]]) == (
        2, 2, 1, ["深圳银河贸易有限公司"])
    assert _tenants(client, staff, status="disabled")["total"] == 0


def test_a_tenants_admins_are_a_page_with_state_and_last_sign_in(flows, client, clock):
    tenant, boss = flows.activated_tenant()
    clock.advance(seconds=1)  # admins are listed oldest first
    deputy = flows.active_user(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    path = f"/identity/v1/tenants/{tenant['id']}/admins"
    assert client.post(f"{path}/{deputy['id']}/disable", headers=boss).status_code == 200
    page = client.get(path, headers=boss)
    assert page.status_code == 200 and set(page.json) == {"items", "total", "page", "page_size"}
    assert (page.json["total"], page.json["page"], page.json["page_size"]) == (2, 1, 20)
    first, second = page.json["items"]
    assert (first["username"], first["status"], first["enabled"]) == ("boss@tenant.test", "active", True)
    assert first["last_login_at"] is not None
    assert (second["username"], second["status"], second["enabled"]) == ("deputy@tenant.test", "disabled", False)
    one = client.get(path, headers=boss, query_string={"page": 2, "page_size": 1}).json
    assert one["total"] == 2 and [a["username"] for a in one["items"]] == ["deputy@tenant.test"]
    details = client.get(f"/identity/v1/tenants/{tenant['id']}", headers=boss).json
    assert [(a["username"], a["enabled"]) for a in details["admins"]] == [("boss@tenant.test", True), ("deputy@tenant.test", False)]


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/identity/v1/tenants", {"order_no": "EO1"}, "order_no"),
    ("/identity/v1/tenants", {"q": ""}, "q"),
    ("/identity/v1/tenants", {"q": "x" * 101}, "q"),
    ("/identity/v1/tenants", {"status": "bogus"}, "status"),
    ("/identity/v1/tenants", {"page_size": "0"}, "page_size"),
    ("/identity/v1/users", {"bogus": "1"}, "bogus"),
])
def test_unknown_parameters_and_bad_values_are_422(flows, client, path, params, field):
    response = client.get(path, headers=flows.admin(), query_string=params)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_unknown_parameters_on_the_admins_page_are_422(flows, client):
    tenant, boss = flows.activated_tenant()
    response = client.get(f"/identity/v1/tenants/{tenant['id']}/admins", headers=boss, query_string={"q": "boss"})
    assert response.status_code == 422 and "q" in response.json["errors"]
