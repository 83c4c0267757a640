"""Service accounts (SUITE_SERVICE_CLIENTS): configured at start, their tokens, and where they are refused."""
from __future__ import annotations

import dataclasses

import jwt
import pytest
from sqlalchemy import select

from services.identity.adapters.orm import service_clients
from services.identity.bootstrap import build_app
from services.identity.config import parse_service_clients
from services.identity.tests.conftest import make_settings, verifier_trusting
from services.identity.tests.flows import ADMIN_USERNAME, bearer

NOTIFIER_SECRET = "notifier-secret-0123456789"


def with_service_clients(database_url, **clients):
    return dataclasses.replace(make_settings(database_url), service_clients=dict(clients))


@pytest.fixture()
def service_app(database_url, context, tokens, clock):
    settings = with_service_clients(database_url, notifier=NOTIFIER_SECRET)
    return build_app(settings, verifier=verifier_trusting(context, tokens), context=context)


def grant(client, client_id, secret, as_json=False):
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post("/identity/v1/oauth/token", json=body) if as_json else client.post("/identity/v1/oauth/token", data=body)


def stored(context):
    with context.session_factory() as session:
        return {row.name: row for row in session.execute(select(service_clients)).all()}


def test_a_service_account_gets_a_platform_service_token(service_app):
    client = service_app.test_client()
    answer = grant(client, "notifier", NOTIFIER_SECRET)
    assert answer.status_code == 200, answer.json
    assert answer.json["token_type"] == "Bearer" and answer.json["expires_in"] == 900
    claims = jwt.decode(answer.json["access_token"], options={"verify_signature": False})
    platform_id = client.get("/identity/v1/me", headers=_admin(client)).json["org_id"]
    assert {k: claims[k] for k in ("sub", "kind", "roles", "org_kind", "org_id")} == {
        "sub": "service:notifier", "kind": "client", "roles": ["service"], "org_kind": "platform", "org_id": platform_id,
    }
    assert "tax_id" not in claims and "pwd_change" not in claims
    assert grant(client, "notifier", NOTIFIER_SECRET, as_json=True).status_code == 200


def _admin(client):
    from services.identity.tests.flows import ADMIN_PASSWORD

    login = client.post("/identity/v1/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    return bearer(login.json["access_token"])


@pytest.mark.parametrize("client_id, secret", [
    ("notifier", "wrong-secret-0123456789"),
    ("billing", NOTIFIER_SECRET),
    ("notifier", ""),
])
def test_a_wrong_name_or_secret_is_invalid_client(service_app, client_id, secret):
    answer = grant(service_app.test_client(), client_id, secret)
    assert answer.status_code in (401, 422)
    if answer.status_code == 401:
        assert answer.json["code"] == "invalid_client"


def test_a_service_token_is_refused_by_every_view_that_does_not_accept_services(service_app):
    client = service_app.test_client()
    headers = bearer(grant(client, "notifier", NOTIFIER_SECRET).json["access_token"])
    assert client.get("/identity/v1/tenants", headers=headers).status_code == 403
    assert client.get("/identity/v1/me", headers=headers).status_code == 403
    assert client.get("/identity/v1/audit-log", headers=headers).status_code == 403


def test_start_creates_updates_and_disables_accounts_from_the_settings(service_app, database_url, context, tokens, clock):
    first = stored(context)["notifier"]
    assert first.status == "active"
    build_app(with_service_clients(database_url, notifier=NOTIFIER_SECRET), context=context)
    assert stored(context)["notifier"].updated_at == first.updated_at

    rotated = "rotated-secret-0123456789"
    build_app(with_service_clients(database_url, notifier=rotated, billing="billing-secret-0123456789"), context=context)
    client = service_app.test_client()
    assert grant(client, "notifier", NOTIFIER_SECRET).status_code == 401
    assert grant(client, "notifier", rotated).status_code == 200
    assert grant(client, "billing", "billing-secret-0123456789").status_code == 200

    build_app(with_service_clients(database_url, billing="billing-secret-0123456789"), context=context)
    assert stored(context)["notifier"].status == "disabled"
    assert grant(client, "notifier", rotated).status_code == 401

    build_app(with_service_clients(database_url, notifier=rotated, billing="billing-secret-0123456789"), context=context)
    assert grant(client, "notifier", rotated).status_code == 200


def test_secrets_are_stored_as_digests_only(service_app, context):
    row = stored(context)["notifier"]
    assert NOTIFIER_SECRET not in row.secret_hash and len(row.secret_hash) == 64


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("  ", {}),
    ("notifier:notifier-secret-0123456789", {"notifier": "notifier-secret-0123456789"}),
    (" notifier:a-secret-with:colon-12, billing:billing-secret-0123 ",
     {"notifier": "a-secret-with:colon-12", "billing": "billing-secret-0123"}),
    ('{"notifier": "notifier-secret-0123456789"}', {"notifier": "notifier-secret-0123456789"}),
])
def test_the_setting_is_json_or_name_secret_pairs(text, expected):
    assert parse_service_clients(text) == expected


@pytest.mark.parametrize("text", [
    "notifier:short",
    "Notifier:notifier-secret-0123456789",
    "cli_1234:notifier-secret-0123456789",
    "notifier",
    "notifier:notifier-secret-0123456789,notifier:notifier-secret-0123456789",
    '{"notifier": 5}',
    '["notifier"]',
    "{not json",
])
def test_a_malformed_setting_stops_the_start_without_showing_secrets(text):
    with pytest.raises(ValueError) as raised:
        parse_service_clients(text)
    assert "notifier-secret-0123456789" not in str(raised.value)


def test_the_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    from services.identity.config import Settings

    monkeypatch.setenv("SUITE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SUITE_SERVICE_CLIENTS", "notifier:notifier-secret-0123456789")
    assert Settings.from_env().service_clients == {"notifier": "notifier-secret-0123456789"}
    assert "notifier-secret" not in repr(Settings.from_env())
