"""Invitations, user management and the transfer of the admin role (ID-5)."""
from __future__ import annotations

from services.identity.tests.flows import NEW_PASSWORD, bearer


def _reseller(flows, client):
    admin = flows.admin()
    reseller = client.post("/identity/v1/organisations", json={"kind": "reseller", "name": "云分销"}, headers=admin).json
    boss = flows.active_user(admin, reseller["id"], "chief@reseller.test", ["reseller_admin"])
    return reseller, boss, bearer(flows.token("chief@reseller.test", NEW_PASSWORD))


def test_an_invitation_mails_a_link_that_activates_the_account(flows, outbox):
    tenant, boss = flows.activated_tenant()
    invited = flows.invite(boss, tenant["id"], "Deputy@Tenant.test", ["tenant_admin"])
    assert invited.status_code == 201 and invited.json["status"] == "invited" and invited.json["username"] == "deputy@tenant.test"
    event = outbox("identity.user.invited.v1")[-1]
    assert event["activation_url"].startswith("https://portal.test/activate?token=") and event["roles"] == ["tenant_admin"]
    assert event["org_kind"] == "tenant" and event["recipient"]["email"] == "deputy@tenant.test"
    assert event["expires_at"] == "2026-01-04T00:00:00Z"
    assert flows.login("deputy@tenant.test", NEW_PASSWORD).status_code == 401
    accepted = flows.accept("deputy@tenant.test")
    assert accepted.status_code == 200 and accepted.json["username"] == "deputy@tenant.test"
    assert flows.login("deputy@tenant.test", NEW_PASSWORD).json["must_change_password"] is False


def test_an_invitation_is_single_use(flows):
    tenant, boss = flows.activated_tenant()
    flows.invite(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    assert flows.accept("deputy@tenant.test").status_code == 200
    again = flows.accept("deputy@tenant.test", "Other-Passw0rd-99")
    assert again.status_code == 410 and again.json["code"] == "invitation_invalid"


def test_an_invitation_expires_after_72_hours_and_can_be_sent_again(flows, client, clock):
    tenant, boss = flows.activated_tenant()
    user = flows.invite(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"]).json
    stale_token = flows.invitation_token("deputy@tenant.test")
    clock.advance(hours=72, seconds=1)
    assert flows.accept("deputy@tenant.test").status_code == 410
    boss = bearer(flows.token("boss@tenant.test", NEW_PASSWORD))
    assert client.post(f"/identity/v1/users/{user['id']}/invitation", headers=boss).status_code == 201
    stale = client.post("/identity/v1/invitations/accept", json={"token": stale_token, "password": NEW_PASSWORD})
    assert stale.status_code == 410
    assert flows.accept("deputy@tenant.test").status_code == 200


def test_a_weak_password_does_not_use_up_the_invitation(flows):
    tenant, boss = flows.activated_tenant()
    flows.invite(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    weak = flows.accept("deputy@tenant.test", "password")
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    assert flows.accept("deputy@tenant.test").status_code == 200


def test_roles_must_fit_the_organisation(flows):
    tenant, boss = flows.activated_tenant()
    response = flows.invite(boss, tenant["id"], "x@tenant.test", ["reseller_user"])
    assert response.status_code == 422 and "roles" in response.json["errors"]
    assert flows.invite(boss, tenant["id"], "x@tenant.test", ["king"]).status_code == 422
    assert flows.invite(boss, tenant["id"], "x@tenant.test", []).status_code == 422


def test_admins_invite_only_into_what_they_manage(flows, client):
    tenant, boss = flows.activated_tenant()
    other = flows.create_tenant(name="Other", email="other@tenant.test")
    assert flows.invite(boss, other["id"], "spy@tenant.test", ["tenant_admin"]).status_code == 404
    platform = client.get("/identity/v1/me", headers=flows.admin()).json["org_id"]
    assert flows.invite(boss, platform, "spy@tenant.test", ["support"]).status_code == 404


def test_a_reseller_admin_manages_its_users_and_its_dealers_users(flows, client):
    reseller, _boss, chief = _reseller(flows, client)
    dealer = client.post("/identity/v1/organisations", json={"kind": "dealer", "name": "经销商甲"}, headers=chief)
    assert dealer.status_code == 201 and dealer.json["parent_id"] == reseller["id"]
    assert flows.invite(chief, dealer.json["id"], "seller@dealer.test", ["dealer_user"]).status_code == 201
    staff = flows.invite(chief, reseller["id"], "clerk@reseller.test", ["reseller_user"])
    assert staff.status_code == 201
    listed = client.get(f"/identity/v1/users?org_id={reseller['id']}&role=reseller_user", headers=chief).json
    assert [u["username"] for u in listed["items"]] == ["clerk@reseller.test"]
    dealers = client.get("/identity/v1/organisations?kind=dealer", headers=chief).json
    assert [d["name"] for d in dealers["items"]] == ["经销商甲"]


def test_users_are_edited_disabled_enabled_and_deleted(flows, client):
    reseller, _boss, chief = _reseller(flows, client)
    clerk = flows.active_user(chief, reseller["id"], "clerk@reseller.test", ["reseller_user"])
    path = f"/identity/v1/users/{clerk['id']}"
    edited = client.patch(path, json={"name": "韩梅梅", "phone": "13600000000"}, headers=chief)
    assert edited.status_code == 200 and edited.json["name"] == "韩梅梅"
    assert client.post(f"{path}/disable", headers=chief).json["status"] == "disabled"
    assert flows.login("clerk@reseller.test", NEW_PASSWORD).json["code"] == "account_disabled"
    assert client.post(f"{path}/enable", headers=chief).json["status"] == "active"
    assert flows.login("clerk@reseller.test", NEW_PASSWORD).status_code == 200
    assert client.delete(path, headers=chief).status_code == 204
    assert client.get(path, headers=chief).status_code == 404
    assert flows.login("clerk@reseller.test", NEW_PASSWORD).status_code == 401
    assert flows.invite(chief, reseller["id"], "clerk@reseller.test", ["reseller_user"]).status_code == 201


def test_members_cannot_manage_users(flows, client):
    reseller, boss, _chief = _reseller(flows, client)
    flows.active_user(bearer(flows.token("chief@reseller.test", NEW_PASSWORD)), reseller["id"], "clerk@reseller.test", ["reseller_user"])
    clerk = bearer(flows.token("clerk@reseller.test", NEW_PASSWORD))
    assert client.post(f"/identity/v1/users/{boss['id']}/disable", headers=clerk).status_code == 403
    assert client.get(f"/identity/v1/users/{boss['id']}", headers=clerk).status_code == 200


def test_the_reseller_admin_role_is_transferred_and_the_old_admin_stays_a_member(flows, client):
    reseller, boss, chief = _reseller(flows, client)
    clerk = flows.active_user(chief, reseller["id"], "clerk@reseller.test", ["reseller_user"])
    moved = client.post(f"/identity/v1/organisations/{reseller['id']}/admin-transfer", json={"user_id": clerk["id"]}, headers=chief)
    assert moved.status_code == 200 and moved.json["roles"] == ["reseller_admin"]
    assert client.get(f"/identity/v1/users/{boss['id']}", headers=flows.admin()).json["roles"] == ["reseller_user"]
    again = client.post(f"/identity/v1/organisations/{reseller['id']}/admin-transfer", json={"user_id": clerk["id"]}, headers=flows.admin())
    assert again.status_code == 409 and again.json["code"] == "already_admin"


def test_a_tenant_has_no_admin_transfer(flows, client):
    tenant, boss = flows.activated_tenant()
    deputy = flows.active_user(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    response = client.post(f"/identity/v1/organisations/{tenant['id']}/admin-transfer", json={"user_id": deputy["id"]}, headers=boss)
    assert response.status_code == 409 and response.json["code"] == "admin_transfer_not_supported"


def test_every_change_of_an_account_is_announced_with_its_current_summary(flows, client, outbox):
    """Issue 19: the marketplace's channel users went stale; identity now publishes identity.user.updated.v1."""
    reseller, _boss, chief = _reseller(flows, client)
    member = flows.active_user(chief, reseller["id"], "li@reseller.test", ["reseller_user"])
    flows.login("li@reseller.test", NEW_PASSWORD)
    client.patch(f"/identity/v1/users/{member['id']}", json={"name": "李雷"}, headers=chief)
    client.post(f"/identity/v1/users/{member['id']}/disable", headers=chief)
    client.post(f"/identity/v1/users/{member['id']}/enable", headers=chief)
    client.post(f"/identity/v1/organisations/{reseller['id']}/admin-transfer", json={"user_id": member["id"]}, headers=chief)
    leaver = flows.active_user(flows.admin(), reseller["id"], "han@reseller.test", ["reseller_user"])
    assert client.delete(f"/identity/v1/users/{leaver['id']}", headers=flows.admin()).status_code == 204
    assert [e["status"] for e in outbox("identity.user.updated.v1") if e["user_id"] == leaver["id"]] == ["active", "deleted"]
    mine = [e for e in outbox("identity.user.updated.v1") if e["user_id"] == member["id"]]
    assert [(e["change"], e["status"]) for e in mine] == [
        ("activated", "active"), ("signed_in", "active"), ("updated", "active"), ("disabled", "disabled"), ("enabled", "active"),
        ("roles_changed", "active")]
    assert mine[1]["last_login_at"] is not None and mine[2]["name"] == "李雷" and mine[-1]["roles"] == ["reseller_admin"]
    assert mine[0]["org_kind"] == "reseller" and "password" not in str(mine)


def test_inviting_an_address_registered_elsewhere_looks_like_any_invitation_and_tells_its_holder(flows, client, outbox, context):
    """Issue 16: a 409 `username_taken` told any tenant admin whether an address had an account anywhere."""
    from sqlalchemy import func, select

    from services.identity.adapters.orm import users

    _other, _other_boss = flows.activated_tenant(email="victim@other.test", name="另一家公司")
    tenant, boss = flows.activated_tenant()
    with context.session_factory() as session:
        before = session.execute(select(func.count()).select_from(users)).scalar_one()
    fresh = flows.invite(boss, tenant["id"], "nobody@new.test", ["tenant_admin"])
    taken = flows.invite(boss, tenant["id"], "Victim@Other.test", ["tenant_admin"])
    assert (fresh.status_code, taken.status_code) == (201, 201)
    assert set(fresh.json) == set(taken.json)
    same = {k: v for k, v in taken.json.items() if k not in ("id", "username", "email", "created_at")}
    assert same == {k: v for k, v in fresh.json.items() if k not in ("id", "username", "email", "created_at")}
    assert taken.json["username"] == "victim@other.test" and taken.json["org_id"] == tenant["id"]
    with context.session_factory() as session:
        assert session.execute(select(func.count()).select_from(users)).scalar_one() == before + 1  # only the fresh one
        holder = session.execute(select(users).where(users.c.username == "victim@other.test")).one()
    assert holder.org_id != tenant["id"]
    notice = outbox("identity.user.already_registered.v1")[-1]
    assert notice["recipient"]["email"] == "victim@other.test" and notice["inviting_org_name"] == "苏州测试有限公司"
    assert "activation_url" not in notice
    assert [e for e in outbox("identity.user.invited.v1") if e["email"] == "victim@other.test"] == []
    # an address already in the admin's own organisation is a plain conflict (the admin sees those users)
    own = flows.invite(boss, tenant["id"], "nobody@new.test", ["tenant_admin"])
    assert own.status_code == 409 and own.json["code"] == "username_taken"
