"""Tenants with their first admin (ID-2) and the management of tenant admins (ID-4)."""
from __future__ import annotations

from sqlalchemy import func, select

from services.identity.adapters.orm import organisations, users
from services.identity.domain.passwords import policy_violations
from services.identity.tests.flows import NEW_PASSWORD


def test_creating_a_tenant_answers_its_admin_and_announces_it(flows, outbox):
    tenant = flows.create_tenant()
    assert set(tenant) == {"id", "name", "admin"} and tenant["admin"]["username"] == "boss@tenant.test"
    created = outbox("identity.tenant.created.v1")[-1]
    assert created["tenant_id"] == tenant["id"] and created["admin"] == {"user_id": tenant["admin"]["id"], "username": "boss@tenant.test"}
    assert created["recipient"]["email"] == "boss@tenant.test" and created["portal_url"] == "https://portal.test"
    assert policy_violations(created["initial_password"], "boss@tenant.test") == []
    org_event = outbox("identity.organisation.created.v1")[-1]
    assert org_event["org_id"] == tenant["id"] and org_event["kind"] == "tenant" and org_event["contact_phone"] == "13800000001"


def test_only_platform_staff_create_tenants(client, tokens):
    body = {"name": "T", "admin_email": "a@t.test", "admin_phone": "13800000009"}
    assert client.post("/identity/v1/tenants", json=body).status_code == 401
    assert client.post("/identity/v1/tenants", json=body, headers=tokens.headers(roles=("tenant_admin",))).status_code == 403


def test_bad_tenant_input_is_refused_and_changes_nothing(flows, client, context):
    admin = flows.admin()
    with context.session_factory() as session:
        before = session.execute(select(func.count()).select_from(organisations)).scalar_one()
    for body in (
        {"name": "T", "admin_email": "not-an-email", "admin_phone": "13800000009"},
        {"name": "", "admin_email": "a@t.test", "admin_phone": "13800000009"},
        {"name": "T" * 201, "admin_email": "a@t.test", "admin_phone": "13800000009"},
        {"name": "T", "admin_email": "a@t.test", "admin_phone": "call me"},
        {"name": "T", "admin_email": "a@t.test"},
    ):
        response = client.post("/identity/v1/tenants", json=body, headers=admin)
        assert response.status_code == 422, body
    with context.session_factory() as session:
        assert session.execute(select(func.count()).select_from(organisations)).scalar_one() == before


def test_an_e_mail_cannot_become_a_second_username(flows, client):
    flows.create_tenant()
    body = {"name": "Other", "admin_email": "BOSS@tenant.test", "admin_phone": "13800000009"}
    again = client.post("/identity/v1/tenants", json=body, headers=flows.admin())
    assert again.status_code == 409 and again.json["code"] == "username_taken"


def test_a_tenant_sees_itself_but_another_tenant_is_missing(flows, client):
    tenant, boss = flows.activated_tenant()
    other = flows.create_tenant(name="Other Co", email="other@tenant.test")
    own = client.get(f"/identity/v1/tenants/{tenant['id']}", headers=boss)
    assert own.status_code == 200 and own.json["name"] == "苏州测试有限公司" and own.json["status"] == "active"
    assert [a["username"] for a in own.json["admins"]] == ["boss@tenant.test"]
    assert client.get(f"/identity/v1/tenants/{other['id']}", headers=boss).status_code == 404
    assert client.get(f"/identity/v1/tenants/{other['id']}/admins", headers=boss).status_code == 404
    assert client.get(f"/identity/v1/tenants/{other['id']}", headers=flows.admin()).status_code == 200


def test_staff_list_tenants_page_by_page(flows, client, clock):
    for index in range(3):
        flows.create_tenant(name=f"T{index}", email=f"t{index}@tenant.test")
        clock.advance(seconds=1)
    page = client.get("/identity/v1/tenants?page=2&page_size=2", headers=flows.admin()).json
    assert page["total"] == 3 and page["page"] == 2 and [t["name"] for t in page["items"]] == ["T2"]


def test_admins_edit_phone_and_email(flows, client):
    tenant, boss = flows.activated_tenant()
    admin_id = tenant["admin"]["id"]
    edited = client.patch(
        f"/identity/v1/tenants/{tenant['id']}/admins/{admin_id}", json={"phone": "13700000000", "email": "new@tenant.test"}, headers=boss
    )
    assert edited.status_code == 200 and edited.json["phone"] == "13700000000" and edited.json["email"] == "new@tenant.test"
    assert edited.json["username"] == "boss@tenant.test"
    bad = client.patch(f"/identity/v1/tenants/{tenant['id']}/admins/{admin_id}", json={"phone": "x"}, headers=boss)
    assert bad.status_code == 422


def test_the_last_enabled_admin_cannot_be_disabled(flows, client):
    tenant, boss = flows.activated_tenant()
    path = f"/identity/v1/tenants/{tenant['id']}/admins/{tenant['admin']['id']}"
    refused = client.post(f"{path}/disable", headers=boss)
    assert refused.status_code == 409 and refused.json["code"] == "last_admin"
    deputy = flows.active_user(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    assert client.post(f"{path}/disable", headers=flows.admin()).status_code == 200
    deputy_headers = {"Authorization": f"Bearer {flows.token('deputy@tenant.test', NEW_PASSWORD)}"}
    last = client.post(f"/identity/v1/tenants/{tenant['id']}/admins/{deputy['id']}/disable", headers=deputy_headers)
    assert last.status_code == 409
    assert client.post(f"{path}/enable", headers=deputy_headers).json["status"] == "active"
    assert flows.login("boss@tenant.test", NEW_PASSWORD).status_code == 200


def test_tenant_admin_paths_only_reach_admins_of_that_tenant(flows, client):
    tenant, boss = flows.activated_tenant()
    other = flows.create_tenant(name="Other Co", email="other@tenant.test")
    crossed = client.post(f"/identity/v1/tenants/{tenant['id']}/admins/{other['admin']['id']}/disable", headers=boss)
    assert crossed.status_code == 404
    foreign = client.post(f"/identity/v1/tenants/{other['id']}/admins/{other['admin']['id']}/disable", headers=boss)
    assert foreign.status_code == 404


def test_staff_actions_are_in_the_audit_log(flows, client, context):
    tenant, boss = flows.activated_tenant()
    flows.active_user(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    client.post(f"/identity/v1/tenants/{tenant['id']}/admins/{tenant['admin']['id']}/disable", headers=flows.admin())
    log = client.get("/identity/v1/audit-log?page_size=50", headers=flows.admin())
    actions = [entry["action"] for entry in log.json["items"]]
    assert {"tenant.created", "user.invited", "user.disabled", "user.password_changed"} <= set(actions)
    disabled = next(e for e in log.json["items"] if e["action"] == "user.disabled")
    with context.session_factory() as session:
        root = session.execute(select(users.c.id).where(users.c.username == "root@suite.test")).scalar_one()
    assert disabled["actor_id"] == root and disabled["target_id"] == tenant["admin"]["id"]
    deputy = {"Authorization": f"Bearer {flows.token('deputy@tenant.test', NEW_PASSWORD)}"}
    assert client.get("/identity/v1/audit-log", headers=deputy).status_code == 403
    # the disabled admin's access token no longer works in identity (issue 19)
    assert client.get("/identity/v1/audit-log", headers=boss).json["code"] == "account_disabled"
