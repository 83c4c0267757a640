"""Access tokens: signed by identity with EdDSA, verifiable by every service, and nothing else passes."""
from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from services.identity.adapters.crypto import SecretBox
from services.identity.adapters.orm import signing_keys
from services.identity.bootstrap import build_app, build_context
from services.identity.tests.conftest import verifier_trusting
from services.identity.tests.flows import ADMIN_PASSWORD, ADMIN_USERNAME, NEW_PASSWORD, bearer
from shared.auth import JwksCache, TokenVerifier
from shared.clock import utcnow
from shared.errors import Problem


def shared_verifier(client) -> TokenVerifier:
    """What every other service builds: keys from identity's published JWKS."""
    return TokenVerifier(
        JwksCache(lambda: client.get("/identity/v1/.well-known/jwks.json").json, min_refetch_interval=0),
        issuer="suite-identity",
        audience="suite",
    )


def test_a_login_token_is_verified_by_the_shared_verifier_with_exactly_the_agreed_claims(client, flows):
    token = flows.token(ADMIN_USERNAME, ADMIN_PASSWORD)
    principal = shared_verifier(client).verify(token)
    assert principal.org_kind == "platform" and principal.roles == {"platform_admin"} and principal.kind == "user"
    assert not principal.must_change_password
    agreed = {"iss", "aud", "sub", "org_id", "org_kind", "roles", "iat", "exp", "typ", "kind", "username", "name"}
    assert set(principal.claims) == agreed and principal.claims["username"] == ADMIN_USERNAME
    assert principal.claims["exp"] - principal.claims["iat"] == 900
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] in {k["kid"] for k in client.get("/identity/v1/.well-known/jwks.json").json["keys"]}


def test_the_jwks_publishes_only_public_ed25519_keys(client):
    keys = client.get("/identity/v1/.well-known/jwks.json").json["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519" and "d" not in keys[0]


def _me(client, token: str):
    return client.get("/identity/v1/me", headers=bearer(token))


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_unsigned_forged_and_confused_tokens_are_rejected(client, flows):
    token = flows.token(ADMIN_USERNAME, ADMIN_PASSWORD)
    assert _me(client, token).status_code == 200
    header, payload, _signature = _segments(token)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    kid = jwt.get_unverified_header(token)["kid"]

    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{payload}."
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
    public_jwk = client.get("/identity/v1/.well-known/jwks.json").json["keys"][0]
    hs256_with_public_key = jwt.api_jws.PyJWS().encode(
        json.dumps(claims).encode(), base64.urlsafe_b64decode(public_jwk["x"] + "=="), algorithm="HS256", headers={"kid": kid}
    )
    tampered = f"{header}.{_b64({**claims, 'roles': ['platform_admin', 'finance']})}.{_signature}"
    for bad in (unsigned, forged, hs256_with_public_key, tampered, "not-a-jwt"):
        response = _me(client, bad)
        assert response.status_code == 401, bad
        assert response.mimetype == "application/problem+json"


def _resigned(context, claims: dict) -> str:
    """A token signed with identity's real current key but with chosen claims."""
    with context.session_factory() as session:
        return context.extras["kit"].keys.sign(session, claims)


def test_wrong_audience_wrong_issuer_and_expired_tokens_are_rejected(client, flows, context):
    token = flows.token(ADMIN_USERNAME, ADMIN_PASSWORD)
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    assert _me(client, _resigned(context, claims)).status_code == 200
    assert _me(client, _resigned(context, {**claims, "aud": "elsewhere"})).status_code == 401
    assert _me(client, _resigned(context, {**claims, "iss": "someone-else"})).status_code == 401
    expired = _me(client, _resigned(context, {**claims, "iat": now - 2000, "exp": now - 1000}))
    assert expired.status_code == 401 and expired.json["code"] == "token_expired"
    assert _me(client, _resigned(context, {**claims, "typ": "refresh"})).status_code == 401


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(client, flows):
    admin = flows.admin()
    old_token = admin["Authorization"].split()[1]
    rotated = client.post("/identity/v1/signing-keys/rotate", headers=admin)
    assert rotated.status_code == 201
    new_token = flows.token(ADMIN_USERNAME, ADMIN_PASSWORD)
    assert jwt.get_unverified_header(new_token)["kid"] == rotated.json["kid"] != jwt.get_unverified_header(old_token)["kid"]
    kids = {k["kid"] for k in client.get("/identity/v1/.well-known/jwks.json").json["keys"]}
    assert kids == {rotated.json["kid"], jwt.get_unverified_header(old_token)["kid"]}
    verifier = shared_verifier(client)
    assert verifier.verify(old_token).sub == verifier.verify(new_token).sub
    assert _me(client, old_token).status_code == 200


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(client, flows, context):
    admin = flows.admin()
    new_kid = client.post("/identity/v1/signing-keys/rotate", headers=admin).json["kid"]
    with context.session_factory() as session:
        session.execute(update(signing_keys).where(signing_keys.c.kid != new_kid).values(retired_at=utcnow() - timedelta(minutes=21)))
        session.commit()
    assert [k["kid"] for k in client.get("/identity/v1/.well-known/jwks.json").json["keys"]] == [new_kid]


def test_only_platform_admins_rotate_keys(client, tokens):
    response = client.post("/identity/v1/signing-keys/rotate", headers=tokens.headers(org_kind="platform", roles=("support",)))
    assert response.status_code == 403
    assert client.post("/identity/v1/signing-keys/rotate").status_code == 401


def test_private_keys_are_encrypted_at_rest_with_the_key_encryption_key(app, context):
    with context.session_factory() as session:
        row = session.execute(select(signing_keys)).first()
    assert len(SecretBox(b"0123456789abcdef0123456789abcdef").open(row.private_key_encrypted, row.kid)) == 32
    with pytest.raises(Exception):  # noqa: B017 - any failure to decrypt is the point
        SecretBox(b"another-key-another-key-another!").open(row.private_key_encrypted, row.kid)


def test_a_token_of_an_unknown_key_is_refused_by_the_verifier(client):
    stranger = jwt.encode({"sub": "x"}, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "nope"})
    with pytest.raises(Problem) as refused:
        shared_verifier(client).verify(stranger)
    assert refused.value.status == 401


def test_a_new_key_is_published_before_it_signs(client, flows, settings, clock, tokens):
    delayed = replace(settings, key_activation_seconds=60)
    context = build_context(delayed, clock)
    app = build_app(delayed, context=context, verifier=verifier_trusting(context, tokens)).test_client()
    admin = flows.admin()
    old_kid = jwt.get_unverified_header(admin["Authorization"].split()[1])["kid"]
    rotated = app.post("/identity/v1/signing-keys/rotate", headers=admin)
    assert rotated.status_code == 201 and rotated.json["activates_at"] > utcnow().isoformat()[:19]
    assert {k["kid"] for k in app.get("/identity/v1/.well-known/jwks.json").json["keys"]} == {old_kid, rotated.json["kid"]}
    fresh = app.post("/identity/v1/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).json["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] == old_kid
    pending = app.post("/identity/v1/signing-keys/rotate", headers=admin)
    assert pending.status_code == 409 and pending.json["code"] == "rotation_pending"


def test_a_users_token_names_the_person_for_actor_fields_elsewhere(client, flows):
    tenant, boss = flows.activated_tenant()
    deputy = flows.active_user(boss, tenant["id"], "deputy@tenant.test", ["tenant_admin"])
    token = flows.token("deputy@tenant.test", NEW_PASSWORD)
    claims = shared_verifier(client).verify(token).claims
    assert (claims["sub"], claims["username"], claims["name"]) == (deputy["id"], "deputy@tenant.test", "Li Lei")
