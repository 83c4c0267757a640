"""Organisations of every kind and how they nest (ID-1)."""
from __future__ import annotations

from services.identity.service_layer.organisations import follow_dealer_status
from services.identity.tests.flows import NEW_PASSWORD
from shared.envelope import Event
from shared.uow import UnitOfWork


def _create(client, headers, **body):
    return client.post("/identity/v1/organisations", json=body, headers=headers)


def test_staff_create_companies_with_subsidiaries_and_the_events_follow(flows, client, outbox):
    admin = flows.admin()
    parent = _create(client, admin, kind="company", name="集团", contact_email="it@group.test")
    child = _create(client, admin, kind="company", name="子公司", parent_id=parent.json["id"])
    assert parent.status_code == child.status_code == 201 and child.json["parent_id"] == parent.json["id"]
    created = [e for e in outbox("identity.organisation.created.v1") if e["kind"] == "company"]
    assert [(e["name"], e["parent_id"]) for e in created] == [("集团", None), ("子公司", parent.json["id"])]
    renamed = client.patch(f"/identity/v1/organisations/{child.json['id']}", json={"name": "子公司二"}, headers=admin)
    assert renamed.status_code == 200
    assert outbox("identity.organisation.updated.v1")[-1]["name"] == "子公司二"


def test_nesting_rules_are_enforced(flows, client):
    admin = flows.admin()
    reseller = _create(client, admin, kind="reseller", name="R").json
    company = _create(client, admin, kind="company", name="C").json
    assert _create(client, admin, kind="dealer", name="D").status_code == 422
    assert _create(client, admin, kind="dealer", name="D", parent_id=company["id"]).status_code == 422
    assert _create(client, admin, kind="dealer", name="D", parent_id=reseller["id"]).status_code == 201
    assert _create(client, admin, kind="company", name="C2", parent_id=reseller["id"]).status_code == 422
    assert _create(client, admin, kind="company", name="C2", parent_id="no-such-org").status_code == 404
    assert _create(client, admin, kind="tenant", name="T").status_code == 422
    assert _create(client, admin, kind="platform", name="P").status_code == 422
    assert _create(client, admin, kind="galaxy", name="P").status_code == 422


def test_external_references_are_unique(flows, client):
    admin = flows.admin()
    assert _create(client, admin, kind="company", name="C", external_ref="erp:1").status_code == 201
    again = _create(client, admin, kind="company", name="C", external_ref="erp:1")
    assert again.status_code == 409 and again.json["code"] == "external_ref_taken"


def test_tenants_cannot_create_or_see_other_organisations(flows, client):
    _tenant, boss = flows.activated_tenant()
    assert _create(client, boss, kind="dealer", name="D").status_code == 403
    company = _create(client, flows.admin(), kind="company", name="C").json
    assert client.get(f"/identity/v1/organisations/{company['id']}", headers=boss).status_code == 404
    listed = client.get("/identity/v1/organisations", headers=boss).json
    assert [o["kind"] for o in listed["items"]] == ["tenant"]


def test_a_disabled_organisation_locks_its_users_out(flows, client):
    tenant, _boss = flows.activated_tenant()
    admin = flows.admin()
    assert client.patch(f"/identity/v1/organisations/{tenant['id']}", json={"status": "disabled"}, headers=admin).status_code == 200
    assert flows.login("boss@tenant.test", NEW_PASSWORD).json["code"] == "account_disabled"
    platform = client.get("/identity/v1/me", headers=admin).json["org_id"]
    refused = client.patch(f"/identity/v1/organisations/{platform}", json={"status": "disabled"}, headers=admin)
    assert refused.status_code == 409


def test_admins_change_only_their_contacts_but_resellers_run_their_dealers(flows, client):
    tenant, boss = flows.activated_tenant()
    path = f"/identity/v1/organisations/{tenant['id']}"
    assert client.patch(path, json={"contact_phone": "13300000000"}, headers=boss).json["contact_phone"] == "13300000000"
    assert client.patch(path, json={"status": "disabled"}, headers=boss).status_code == 403
    assert client.patch(path, json={"name": "改名"}, headers=boss).status_code == 403
    admin = flows.admin()
    reseller = _create(client, admin, kind="reseller", name="R").json
    flows.active_user(admin, reseller["id"], "chief@reseller.test", ["reseller_admin"])
    chief = {"Authorization": f"Bearer {flows.token('chief@reseller.test', NEW_PASSWORD)}"}
    dealer = _create(client, chief, kind="dealer", name="D").json
    disabled = client.patch(f"/identity/v1/organisations/{dealer['id']}", json={"status": "disabled", "name": "D2"}, headers=chief)
    assert disabled.status_code == 200 and disabled.json["status"] == "disabled"


def test_organisation_lists_filter_and_page(flows, client):
    admin = flows.admin()
    for name in ("甲公司", "乙公司", "丙经销"):
        _create(client, admin, kind="company", name=name)
    found = client.get("/identity/v1/organisations?kind=company&q=公司&page_size=1", headers=admin).json
    assert found["total"] == 2 and len(found["items"]) == 1
    assert client.get("/identity/v1/organisations?page_size=1000", headers=admin).status_code == 422


def _dealer_event(kind: str, dealer_org: str | None, reseller_id: str) -> Event:
    status = "disabled" if kind == "disabled" else "enabled"
    return Event(type=f"marketplace.dealer.{kind}.v1", source="/services/marketplace", subject="dealer-1",
                 data={"dealer_id": "dealer-1", "reseller_id": reseller_id, "org_id": dealer_org, "status": status})


def _follow(context, event: Event) -> None:
    with context.session_factory() as session:
        follow_dealer_status(UnitOfWork("identity", session, context.tables, context.clock), event)
        session.commit()


def test_a_dealer_disabled_in_the_marketplace_locks_its_users_out_of_identity(flows, client, context, outbox):
    """Issue 19: the marketplace's dealer disable reaches identity: no login, refresh tokens die; enable restores."""
    admin = flows.admin()
    reseller = _create(client, admin, kind="reseller", name="R").json
    dealer = _create(client, admin, kind="dealer", name="D", parent_id=reseller["id"]).json
    flows.active_user(admin, dealer["id"], "seller@dealer.test", ["dealer_user"])
    session = flows.login("seller@dealer.test", NEW_PASSWORD).json
    _follow(context, _dealer_event("disabled", dealer["id"], "another-reseller"))  # not that reseller's dealer: ignored
    assert client.get(f"/identity/v1/organisations/{dealer['id']}", headers=admin).json["status"] == "active"
    _follow(context, _dealer_event("disabled", dealer["id"], reseller["id"]))
    assert client.get(f"/identity/v1/organisations/{dealer['id']}", headers=admin).json["status"] == "disabled"
    assert flows.login("seller@dealer.test", NEW_PASSWORD).json["code"] == "account_disabled"
    stale = client.get("/identity/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert stale.status_code == 401 and stale.json["code"] == "account_disabled"
    refreshed = client.post("/identity/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401
    assert outbox("identity.organisation.updated.v1")[-1]["status"] == "disabled"
    _follow(context, _dealer_event("enabled", dealer["id"], reseller["id"]))
    assert flows.login("seller@dealer.test", NEW_PASSWORD).status_code == 200
