"""The first login must change the initial password, with an SMS code (ID-3) and the policy."""
from __future__ import annotations

import jwt

from services.identity.tests.flows import NEW_PASSWORD, bearer


def _first_login(flows):
    tenant = flows.create_tenant()
    initial = flows.initial_password(tenant["id"])
    body = flows.login("boss@tenant.test", initial).json
    return tenant, initial, body


def _change(client, headers, old, new, code):
    return client.post("/identity/v1/auth/password", json={"old_password": old, "new_password": new, "sms_code": code}, headers=headers)


def test_the_first_login_must_change_the_password_and_nothing_else_works(flows, client):
    tenant, _initial, body = _first_login(flows)
    assert body["must_change_password"] is True
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["pwd_change"] is True
    headers = bearer(body["access_token"])
    blocked = client.get(f"/identity/v1/tenants/{tenant['id']}", headers=headers)
    assert blocked.status_code == 403 and blocked.json["code"] == "password_change_required"
    assert client.get("/identity/v1/me", headers=headers).status_code == 200


def test_the_code_goes_to_the_users_phone_and_the_change_clears_the_mark(flows, client, outbox):
    tenant, initial, body = _first_login(flows)
    headers = bearer(body["access_token"])
    sent = client.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}, headers=headers)
    assert sent.status_code == 201 and sent.json["sent_to"] == "138****0001"
    event = outbox("identity.sms_code.requested.v1")[-1]
    assert event["recipient"]["phone"] == "13800000001" and len(event["code"]) == 6 and event["code"].isdigit()
    changed = _change(client, headers, initial, NEW_PASSWORD, event["code"])
    assert changed.status_code == 200 and changed.json["must_change_password"] is False
    assert client.get(f"/identity/v1/tenants/{tenant['id']}", headers=bearer(changed.json["access_token"])).status_code == 200
    assert flows.login("boss@tenant.test", initial).status_code == 401
    assert flows.login("boss@tenant.test", NEW_PASSWORD).json["must_change_password"] is False


def test_the_change_revokes_earlier_refresh_tokens(flows, client):
    _tenant, initial, body = _first_login(flows)
    headers = bearer(body["access_token"])
    assert _change(client, headers, initial, NEW_PASSWORD, flows.sms_code(headers)).status_code == 200
    assert client.post("/identity/v1/auth/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 401


def test_codes_are_rate_limited_per_minute_and_per_hour(flows, client, clock):
    _tenant, _initial, body = _first_login(flows)
    headers = bearer(body["access_token"])
    ask = lambda: client.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}, headers=headers)  # noqa: E731
    assert ask().status_code == 201
    again = ask()
    assert again.status_code == 429 and again.json["code"] == "sms_code_rate_limited" and int(again.headers["Retry-After"]) == 60
    for _ in range(4):
        clock.advance(seconds=61)
        assert ask().status_code == 201
    clock.advance(seconds=61)
    sixth = ask()
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) > 60
    clock.advance(minutes=60)
    assert ask().status_code == 201


def test_a_wrong_an_expired_or_a_used_code_is_refused(flows, client, clock):
    _tenant, initial, body = _first_login(flows)
    headers = bearer(body["access_token"])
    code = flows.sms_code(headers)
    wrong = _change(client, headers, initial, NEW_PASSWORD, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 422 and wrong.json["code"] == "invalid_sms_code"
    clock.advance(minutes=5, seconds=1)
    assert _change(client, headers, initial, NEW_PASSWORD, code).json["code"] == "invalid_sms_code"
    code = flows.sms_code(headers)
    assert _change(client, headers, initial, NEW_PASSWORD, code).status_code == 200
    assert _change(client, headers, NEW_PASSWORD, "Another-Passw0rd-1", code).json["code"] == "invalid_sms_code"


def test_five_wrong_guesses_burn_the_code(flows, client):
    _tenant, initial, body = _first_login(flows)
    headers = bearer(body["access_token"])
    code = flows.sms_code(headers)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _change(client, headers, initial, NEW_PASSWORD, wrong).json["code"] == "invalid_sms_code"
    assert _change(client, headers, initial, NEW_PASSWORD, code).json["code"] == "invalid_sms_code"


def test_the_password_policy_names_what_is_wrong_and_spends_no_code(flows, client):
    _tenant, initial, body = _first_login(flows)
    headers = bearer(body["access_token"])
    code = flows.sms_code(headers)
    for weak in ("Short1!", "alllowercaseletters", "boss@tenant.test-X1", "Boss-1234567"):
        response = _change(client, headers, initial, weak, code)
        assert response.status_code == 422 and "new_password" in response.json["errors"], weak
    wrong_old = _change(client, headers, "not-the-initial", NEW_PASSWORD, code)
    assert wrong_old.status_code == 422 and wrong_old.json["code"] == "invalid_old_password"
    assert _change(client, headers, initial, NEW_PASSWORD, code).status_code == 200


def test_api_clients_and_anonymous_callers_cannot_ask_for_codes(client, tokens):
    assert client.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}).status_code == 401
    as_client = tokens.headers(roles=("api_client",), kind="client")
    assert client.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}, headers=as_client).status_code == 403
    admin_token = tokens.headers()
    assert client.post("/identity/v1/auth/sms-codes", json={"purpose": "other"}, headers=admin_token).status_code == 422
