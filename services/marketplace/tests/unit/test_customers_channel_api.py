"""Customers of a reseller and its dealers: CRUD, and isolation between resellers and dealers."""
from __future__ import annotations

from services.marketplace.service_layer.organisations import record_organisation
from services.marketplace.tests.helpers import Marketplace
from shared.envelope import new_event


def test_customers_can_be_added_edited_searched_and_deleted(market: Marketplace) -> None:
    me = market.reseller()
    customer = market.customer(me, tenant_id=None)
    changes = {"phone": "13700000000", "tenant_id": "t-9"}
    unknown = market.client.patch(f"/marketplace/v1/customers/{customer['id']}", headers=me, json=changes)
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "unknown_tenant"
    assert market.client.get(f"/marketplace/v1/customers/{customer['id']}", headers=me).get_json()["phone"] != "13700000000"
    market.organisation_event("t-9", kind="tenant")
    edited = market.client.patch(f"/marketplace/v1/customers/{customer['id']}", headers=me, json=changes)
    assert edited.status_code == 200 and edited.get_json()["tenant_id"] == "t-9"
    found = market.client.get("/marketplace/v1/customers", headers=me, query_string={"q": "甲公"}).get_json()
    assert [c["id"] for c in found["items"]] == [customer["id"]]
    assert market.client.delete(f"/marketplace/v1/customers/{customer['id']}", headers=me).status_code == 204
    assert market.client.get(f"/marketplace/v1/customers/{customer['id']}", headers=me).status_code == 404


def test_another_resellers_customer_is_404_everywhere(market: Marketplace) -> None:
    customer = market.customer(market.reseller("reseller-a"))
    other = market.reseller("reseller-b", user="rb-admin")
    url = f"/marketplace/v1/customers/{customer['id']}"
    assert market.client.get(url, headers=other).status_code == 404
    assert market.client.patch(url, headers=other, json={"name": "x"}).status_code == 404
    assert market.client.delete(url, headers=other).status_code == 404
    assert market.client.get("/marketplace/v1/customers", headers=other).get_json()["total"] == 0


def test_a_distributor_user_sees_the_resellers_customers(market: Marketplace) -> None:
    customer = market.customer(market.reseller("reseller-a"))
    colleague = market.reseller("reseller-a", user="distributor-1", role="reseller_user")
    assert market.client.get(f"/marketplace/v1/customers/{customer['id']}", headers=colleague).status_code == 200


def test_dealer_users_see_only_their_dealers_customers(market: Marketplace) -> None:
    market.known_reseller("reseller-a")
    market.organisation_event("dealer-org-1", kind="dealer", parent_id="reseller-a")
    dealer = market.dealer_user("dealer-org-1")
    own = market.customer(dealer, name="经销商客户")
    resellers = market.customer(market.reseller("reseller-a"), name="分销商客户")
    assert market.client.get(f"/marketplace/v1/customers/{resellers['id']}", headers=dealer).status_code == 404
    assert [c["name"] for c in market.client.get("/marketplace/v1/customers", headers=dealer).get_json()["items"]] == ["经销商客户"]
    assert market.client.get(f"/marketplace/v1/customers/{own['id']}", headers=market.reseller("reseller-a")).status_code == 200


def test_customer_input_is_validated(market: Marketplace) -> None:
    me = market.reseller()
    bad = {"name": "", "company": "c", "email": "x@y.test", "phone": "1390000"}
    assert market.client.post("/marketplace/v1/customers", headers=me, json=bad).status_code == 422
    assert market.client.post("/marketplace/v1/customers", headers=me, json={**bad, "name": "n", "phone": "call me"}).status_code == 422
    assert market.client.post("/marketplace/v1/customers", headers=market.staff(), json={**bad, "name": "n"}).status_code == 403


def test_dealers_are_managed_by_the_reseller_admin(market: Marketplace) -> None:
    admin, colleague = market.reseller(), market.reseller(user="u2", role="reseller_user")
    dealer = {"name": "蓝云经销", "address": "上海宝山区", "region": "华东"}
    created = market.client.post("/marketplace/v1/dealers", headers=admin, json=dealer)
    assert created.status_code == 201 and created.get_json()["status"] == "enabled"
    dealer_id = created.get_json()["id"]
    assert market.client.post("/marketplace/v1/dealers", headers=colleague, json={"name": "x"}).status_code == 403
    assert market.client.post(f"/marketplace/v1/dealers/{dealer_id}/disable", headers=admin).get_json()["status"] == "disabled"
    assert market.client.post(f"/marketplace/v1/dealers/{dealer_id}/enable", headers=admin).get_json()["status"] == "enabled"
    assert market.client.get("/marketplace/v1/dealers", headers=colleague, query_string={"q": "蓝云"}).get_json()["total"] == 1
    other = market.reseller("reseller-b", user="rb")
    assert market.client.get(f"/marketplace/v1/dealers/{dealer_id}", headers=other).status_code == 404
    assert market.client.post(f"/marketplace/v1/dealers/{dealer_id}/disable", headers=other).status_code == 404


def test_a_dealer_links_to_its_identity_organisation(market: Marketplace) -> None:
    market.known_reseller("reseller-a")
    admin = market.reseller("reseller-a")
    dealer_id = market.client.post("/marketplace/v1/dealers", headers=admin, json={"name": "经销商甲"}).get_json()["id"]
    market.organisation_event("dealer-org-7", kind="dealer", parent_id="reseller-a", external_ref=f"dealer:{dealer_id}")
    assert market.client.get(f"/marketplace/v1/dealers/{dealer_id}", headers=admin).get_json()["org_id"] == "dealer-org-7"
    market.organisation_event("foreign-dealer", kind="dealer", parent_id="reseller-b")
    refused = market.client.patch(f"/marketplace/v1/dealers/{dealer_id}", headers=admin, json={"org_id": "foreign-dealer"})
    assert refused.status_code == 422


def test_one_identity_organisation_links_to_one_dealer(market: Marketplace) -> None:
    market.known_reseller("reseller-a")
    admin = market.reseller("reseller-a")
    first = market.client.post("/marketplace/v1/dealers", headers=admin, json={"name": "经销商甲"}).get_json()["id"]
    second = market.client.post("/marketplace/v1/dealers", headers=admin, json={"name": "经销商乙"}).get_json()["id"]
    market.organisation_event("dealer-org-8", kind="dealer", parent_id="reseller-a")
    assert market.client.patch(f"/marketplace/v1/dealers/{first}", headers=admin, json={"org_id": "dealer-org-8"}).status_code == 200
    taken = market.client.patch(f"/marketplace/v1/dealers/{second}", headers=admin, json={"org_id": "dealer-org-8", "name": "改名"})
    assert taken.status_code == 409 and taken.get_json()["code"] == "dealer_organisation_linked"
    unchanged = market.client.get(f"/marketplace/v1/dealers/{second}", headers=admin).get_json()
    assert (unchanged["name"], unchanged["org_id"]) == ("经销商乙", None)

    # identity's record naming the second dealer moves the link there (the event must not fail on the unique key)
    market.organisation_event("dealer-org-8", kind="dealer", parent_id="reseller-a", external_ref=f"dealer:{second}")
    assert market.client.get(f"/marketplace/v1/dealers/{second}", headers=admin).get_json()["org_id"] == "dealer-org-8"
    assert market.client.get(f"/marketplace/v1/dealers/{first}", headers=admin).get_json()["org_id"] is None



def test_disabling_a_dealer_reaches_identity_and_refuses_its_users_at_once(market: Marketplace) -> None:
    """Issue 19: disabling a dealer changed its status and nothing else; its users kept checking out."""
    admin = market.reseller()
    market.known_reseller()
    dealer_id = market.client.post("/marketplace/v1/dealers", headers=admin, json={"name": "经销商丙"}).get_json()["id"]
    market.organisation_event("dealer-org-9", kind="dealer", parent_id="reseller-a", external_ref=f"dealer:{dealer_id}")
    dealer = market.dealer_user("dealer-org-9")
    assert market.client.get("/marketplace/v1/customers", headers=dealer).status_code == 200
    assert market.client.post(f"/marketplace/v1/dealers/{dealer_id}/disable", headers=admin).status_code == 200
    assert market.events("marketplace.dealer.disabled.v1") == [
        {"dealer_id": dealer_id, "reseller_id": "reseller-a", "org_id": "dealer-org-9", "status": "disabled"}]
    refused = market.client.get("/marketplace/v1/customers", headers=dealer)
    assert refused.status_code == 403 and refused.get_json()["code"] == "organisation_disabled"
    assert market.checkout(dealer, "any-customer").status_code == 403
    market.client.post(f"/marketplace/v1/dealers/{dealer_id}/enable", headers=admin)
    assert market.events("marketplace.dealer.enabled.v1")[0]["org_id"] == "dealer-org-9"
    assert market.client.get("/marketplace/v1/customers", headers=dealer).status_code == 200


def test_users_of_a_reseller_disabled_in_identity_are_refused(market: Marketplace) -> None:
    market.known_reseller()
    market.handle(record_organisation, new_event("identity", "identity.organisation.updated.v1", "reseller-a", {
        "org_id": "reseller-a", "kind": "reseller", "name": "Org", "parent_id": None, "status": "disabled",
        "contact_email": None, "contact_phone": None, "external_ref": None}))
    refused = market.client.get("/marketplace/v1/customers", headers=market.reseller())
    assert refused.status_code == 403 and refused.get_json()["code"] == "organisation_disabled"


def test_a_customer_naming_an_unknown_tenant_is_refused(market: Marketplace) -> None:
    """Issue 19: a customer could name a tenant that does not exist; its paid order was then delivered to nobody."""
    me = market.reseller()
    body = {"name": "王五", "company": "甲公司", "email": "wang@customer.test", "phone": "13900000000"}
    refused = market.client.post("/marketplace/v1/customers", headers=me, json={**body, "tenant_id": "no-such-tenant"})
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"tenant_id": ["unknown tenant"]}
    market.organisation_event("reseller-x", kind="reseller")
    not_a_tenant = market.client.post("/marketplace/v1/customers", headers=me, json={**body, "tenant_id": "reseller-x"})
    assert not_a_tenant.status_code == 422
    assert market.client.get("/marketplace/v1/customers", headers=me).get_json()["total"] == 0
