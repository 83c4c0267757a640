"""Logging in, throttling, refresh-token rotation with reuse detection, logout (ID-6)."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from services.identity.adapters.orm import refresh_tokens, users
from services.identity.tests.flows import ADMIN_PASSWORD, ADMIN_USERNAME, NEW_PASSWORD, bearer


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(flows):
    wrong = flows.login(ADMIN_USERNAME, "not-the-password")
    unknown = flows.login("nobody@suite.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["code"] == unknown.json["code"] == "invalid_credentials"


def test_login_answers_the_pinned_fields(flows):
    body = flows.login(ADMIN_USERNAME.upper(), ADMIN_PASSWORD).json
    assert {"access_token", "refresh_token", "expires_in", "must_change_password"} <= set(body)
    assert body["expires_in"] == 900 and body["must_change_password"] is False


def test_malformed_login_bodies_are_problems_not_errors(client):
    assert client.post("/identity/v1/auth/login", data="{", content_type="application/json").status_code == 400
    response = client.post("/identity/v1/auth/login", json={"username": "x" * 300, "password": 5})
    assert response.status_code == 422 and set(response.json["errors"]) == {"username", "password"}


def test_ten_failures_in_a_minute_lock_the_account_even_for_the_right_password(flows, clock):
    for _ in range(10):
        assert flows.login(ADMIN_USERNAME, "wrong-password").status_code == 401
    locked = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD)
    assert locked.status_code == 429 and locked.json["code"] == "too_many_attempts"
    assert 1 <= int(locked.headers["Retry-After"]) <= 300
    clock.advance(minutes=5, seconds=1)
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).status_code == 200


def test_failures_spread_over_more_than_a_minute_do_not_lock(flows, clock):
    for _ in range(9):
        flows.login(ADMIN_USERNAME, "wrong-password")
    clock.advance(seconds=61)
    assert flows.login(ADMIN_USERNAME, "wrong-password").status_code == 401
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).status_code == 200


def test_a_successful_login_forgets_the_earlier_failures(flows):
    for _ in range(9):
        flows.login(ADMIN_USERNAME, "wrong-password")
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).status_code == 200
    for _ in range(9):
        assert flows.login(ADMIN_USERNAME, "wrong-password").status_code == 401
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).status_code == 200


def test_many_failures_from_one_address_lock_that_address_for_every_account(flows):
    for index in range(50):
        flows.login(f"guess{index}@suite.test", "wrong-password", address="203.0.113.9")
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD, address="203.0.113.9").status_code == 429
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD, address="198.51.100.7").status_code == 200


def test_refresh_rotates_and_the_old_token_no_longer_works(flows, client):
    first = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    second = client.post("/identity/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json["refresh_token"] != first["refresh_token"]
    third = client.post("/identity/v1/auth/refresh", json={"refresh_token": second.json["refresh_token"]})
    assert third.status_code == 200
    assert client.get("/identity/v1/me", headers=bearer(third.json["access_token"])).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(flows, client, context):
    first = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    other_session = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    second = client.post("/identity/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json
    reused = client.post("/identity/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json["code"] == "refresh_token_reused"
    successor = client.post("/identity/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert successor.status_code == 401 and successor.json["code"] == "invalid_refresh_token"
    assert client.post("/identity/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}).status_code == 200


def test_unknown_and_expired_refresh_tokens_are_refused(flows, client, clock):
    assert client.post("/identity/v1/auth/refresh", json={"refresh_token": "made-up"}).status_code == 401
    first = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    clock.advance(days=14, seconds=1)
    assert client.post("/identity/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401


def test_logout_revokes_the_session(flows, client):
    session = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    assert client.post("/identity/v1/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code == 204
    assert client.post("/identity/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    assert client.post("/identity/v1/auth/logout", json={"refresh_token": "unknown"}).status_code == 204


def test_refresh_tokens_are_stored_only_as_digests(flows, context):
    session = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    with context.session_factory() as db:
        digests = [row.token_hash for row in db.execute(select(refresh_tokens.c.token_hash))]
    assert session["refresh_token"] not in digests and len(digests) == 1


def test_passwords_are_stored_as_argon2id_with_owasp_parameters(app, context):
    with context.session_factory() as db:
        stored = db.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "m=19456,t=2,p=1" in stored


def test_a_disabled_admin_cannot_log_in_and_loses_its_sessions(flows, client):
    tenant, boss = flows.activated_tenant()
    second = flows.active_user(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    session = flows.login("deputy@tenant.test", NEW_PASSWORD).json
    disabled = client.post(f"/identity/v1/tenants/{tenant['id']}/admins/{second['id']}/disable", headers=boss)
    assert disabled.status_code == 200 and disabled.json["status"] == "disabled"
    refused = flows.login("deputy@tenant.test", NEW_PASSWORD)
    assert refused.status_code == 401 and refused.json["code"] == "account_disabled"
    assert flows.login("deputy@tenant.test", "wrong-password").json["code"] == "invalid_credentials"
    assert client.post("/identity/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_the_address_a_trusted_proxy_forwarded_is_the_one_counted():
    from services.identity.entrypoints.common import address_of

    portal = ("127.0.0.1", "10.8.0.0/16")
    assert address_of("203.0.113.9, 127.0.0.1", "10.0.0.2", portal) == "203.0.113.9"
    assert address_of("203.0.113.9, 10.8.3.4", "10.0.0.2", portal) == "203.0.113.9"
    assert address_of("203.0.113.9, 198.51.100.7", "10.0.0.2", portal) == "198.51.100.7"  # forged entry before an untrusted hop
    assert address_of("203.0.113.9, 127.0.0.1", "10.0.0.2", ()) == "127.0.0.1"  # nobody trusted: the gateway's entry
    assert address_of("127.0.0.1", "10.0.0.2", portal) == "127.0.0.1"
    assert address_of("not-an-address, 127.0.0.1", None, portal) == "not-an-address"
    assert address_of("", None, portal) == "unknown"


def test_failures_through_the_portal_lock_the_browser_s_address_not_the_portal_s(app, flows, monkeypatch):
    extras = app.extensions["suite_context"].extras
    monkeypatch.setitem(extras, "kit", replace(extras["kit"], settings=replace(extras["kit"].settings, trusted_proxies=("127.0.0.1",))))
    for index in range(50):
        flows.login(f"guess{index}@suite.test", "wrong-password", address="203.0.113.9, 127.0.0.1")
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD, address="203.0.113.9, 127.0.0.1").status_code == 429
    assert flows.login(ADMIN_USERNAME, ADMIN_PASSWORD, address="198.51.100.7, 127.0.0.1").status_code == 200
