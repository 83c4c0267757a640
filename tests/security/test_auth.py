"""Auth: tokens that break RFC 8725's rules are refused everywhere; sessions, throttling, hashes, secrets.

- In-process, every service's app and the gateway refuse forged and rule-breaking tokens (alg
  `none`, HS256 signed with the public key, wrong `aud`/`iss`/`typ`, expired, not yet valid,
  missing `exp`, unknown or foreign keys, tampered claims, keys offered in the header) with 401,
  and a key rotated out of the JWKS stops working once the services have fetched the new set.
- On the running suite (`proof_suite`), the same forgeries built on identity's real published key,
  through the gateway and straight to each service; a reused refresh token ends its whole family;
  failed logins lock an account after at most 10 a minute; stored password hashes are argon2id at or
  above OWASP's minimum (m ≥ 19 MiB, t ≥ 2, p ≥ 1); and no secret the suite created (initial
  passwords, SMS codes, operation keys, invitation tokens, client secrets, chosen passwords, tokens)
  appears in any process's log or in the notifier's stored messages.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from flask import Flask
from sqlalchemy import create_engine, text

from shared.auth import JwksCache, TokenVerifier
from shared.testkit import TokenFactory, body_text, wait_until
from tests.e2e.steps import INVITATION_TOKEN_RE, OPERATION_KEY_RE, PASSWORD_RE, SMS_CODE_RE, create_tenant, new_phone, new_tax_id
from tests.suitekit import RunningSuite

# A GET that needs a token, per service (any answer but 401 shows the token was accepted).
PROTECTED = {
    "identity": "/identity/v1/tenants",
    "entitlements": "/entitlements/v1/orders",
    "licensing": "/licensing/v1/erp-instance",
    "billing": "/billing/v1/balance",
    "marketplace": "/marketplace/v1/tickets",
    "notifier": "/notifier/v1/messages",
}
STAFF = {"sub": "platform-admin", "org_id": "platform", "org_kind": "platform", "roles": ["platform_admin"]}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes] | None = None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}".encode()
    return f"{signing_input.decode()}.{b64(sign(signing_input)) if sign else ''}"


def hs256(key: bytes) -> Callable[[bytes], bytes]:
    return lambda signing_input: hmac.new(key, signing_input, hashlib.sha256).digest()


def claims_of(issuer: str = "suite-identity", audience: str = "suite", **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": issuer, "aud": audience, "iat": now, "exp": now + 600, "typ": "access", **STAFF, **overrides}


def public_forgeries(kid: str, public_raw: bytes, public_pem: bytes, valid_token: str) -> dict[str, str]:
    """Tokens anyone holding the published key and one valid token can make."""
    attacker = TokenFactory()
    head, payload, signature = valid_token.split(".")
    promoted = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    promoted.update(STAFF, sub="intruder")
    return {
        "alg none": compact({"alg": "none", "kid": kid, "typ": "JWT"}, claims_of()),
        "alg None (case)": compact({"alg": "None", "kid": kid}, claims_of()),
        "HS256 keyed with the raw public key": compact({"alg": "HS256", "kid": kid}, claims_of(), hs256(public_raw)),
        "HS256 keyed with the PEM public key": compact({"alg": "HS256", "kid": kid}, claims_of(), hs256(public_pem)),
        "real kid, attacker's signature": jwt.encode(claims_of(), attacker.private_key, algorithm="EdDSA", headers={"kid": kid}),
        "claims tampered, signature kept": f"{head}.{b64(json.dumps(promoted).encode())}.{signature}",
        "signature stripped": f"{head}.{payload}.",
        "attacker key in a jwk header": jwt.encode(
            claims_of(), attacker.private_key, algorithm="EdDSA",
            headers={"kid": attacker.kid, "jwk": attacker.jwks()["keys"][0]}),
        "attacker keys at a jku URL": jwt.encode(
            claims_of(), attacker.private_key, algorithm="EdDSA", headers={"kid": attacker.kid, "jku": "http://127.0.0.1:9/jwks.json"}),
        "kid path traversal": jwt.encode(claims_of(), attacker.private_key, algorithm="EdDSA", headers={"kid": "../../../../dev/null"}),
        "not a JWT": "definitely.not.a-token",
    }


def rule_breaking_tokens(tokens: TokenFactory) -> dict[str, str]:
    """Tokens signed by the trusted key whose claims break the rules."""
    now = int(time.time())
    signed = lambda claims: jwt.encode(claims, tokens.private_key, algorithm="EdDSA", headers={"kid": tokens.kid})  # noqa: E731
    without_exp = claims_of()
    del without_exp["exp"]
    return {
        "wrong aud": signed(claims_of(audience="another-suite")),
        "wrong iss": signed(claims_of(issuer="https://evil.example")),
        "typ refresh": signed(claims_of(typ="refresh")),
        "typ id": signed(claims_of(typ="id")),
        "expired": signed(claims_of(iat=now - 1200, exp=now - 60)),
        "not yet valid": signed(claims_of(nbf=now + 3600)),
        "no exp": signed(without_exp),
        "no sub": signed({k: v for k, v in claims_of().items() if k != "sub"}),
        # issue 16: accepted before, although signed with the trusted key
        "no typ": signed({k: v for k, v in claims_of().items() if k != "typ"}),
        "exp as a string": signed(claims_of(exp=str(now + 600))),
        "iat as a string": signed(claims_of(iat=str(now))),
        "exp as a boolean": signed(claims_of(exp=True)),
        "exp years ahead": signed(claims_of(exp=now + 5 * 365 * 86400)),
        "lives longer than an hour": signed(claims_of(iat=now - 60, exp=now + 3600)),
        "iat in the future": signed(claims_of(iat=now + 600, exp=now + 900)),
    }


def ed25519_public(tokens: TokenFactory) -> tuple[bytes, bytes]:
    key = tokens.private_key.public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return raw, pem


def test_forged_and_rule_breaking_tokens_are_refused_by_every_service_and_the_gateway(
    seeded_apps: dict[str, Flask], served: Any, app_tokens: TokenFactory, figures: Any
) -> None:
    valid = app_tokens.token(**{k: v for k, v in STAFF.items() if k != "roles"}, roles=tuple(STAFF["roles"]))
    raw, pem = ed25519_public(app_tokens)
    forged = {**public_forgeries(app_tokens.kid, raw, pem, valid), **rule_breaking_tokens(app_tokens)}
    refused: dict[str, int] = {}
    for service, path in PROTECTED.items():
        for where, client in ((service, seeded_apps[service].test_client()), (f"gateway→{service}", served.gateway.test_client())):
            assert client.get(path, headers={"Authorization": f"Bearer {valid}"}).status_code != 401, where
            for name, token in forged.items():
                response = client.get(path, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 401, (where, name, response.status_code, response.get_data(as_text=True)[:200])
                assert response.mimetype == "application/problem+json"
                refused[name] = refused.get(name, 0) + 1
    figures("auth: forged and rule-breaking tokens (in-process, 6 services + gateway)",
            f"{len(forged)} kinds × {len(PROTECTED) * 2} routes = {sum(refused.values())} requests, all 401:\n  " + ", ".join(refused))


def test_a_key_rotated_out_of_the_jwks_stops_working_once_the_new_set_is_fetched(
    seeded_apps: dict[str, Flask], app_tokens: TokenFactory
) -> None:
    old, new = app_tokens, TokenFactory()
    published = {"keys": old.jwks()["keys"]}
    saved = {service: app.extensions["suite_verifier"] for service, app in seeded_apps.items()}
    try:
        for app in seeded_apps.values():
            app.extensions["suite_verifier"] = TokenVerifier(JwksCache(lambda: published), issuer="suite-identity", audience="suite")
        old_token = old.token(sub="platform-admin", org_id="platform", org_kind="platform", roles=("platform_admin",))
        new_token = new.token(sub="platform-admin", org_id="platform", org_kind="platform", roles=("platform_admin",))
        for service, path in PROTECTED.items():
            assert seeded_apps[service].test_client().get(path, headers={"Authorization": f"Bearer {old_token}"}).status_code != 401
        published["keys"] = new.jwks()["keys"]  # identity retired the old key and publishes the new one
        time.sleep(2.1)  # JwksCache refetches at most every 2 s
        for service, path in PROTECTED.items():
            client = seeded_apps[service].test_client()
            assert client.get(path, headers={"Authorization": f"Bearer {new_token}"}).status_code != 401, service
            refused = client.get(path, headers={"Authorization": f"Bearer {old_token}"})
            assert refused.status_code == 401, service
    finally:
        for service, verifier in saved.items():
            seeded_apps[service].extensions["suite_verifier"] = verifier


# ---- on the running suite --------------------------------------------------------------------------


def published_key(suite: RunningSuite, kid: str) -> tuple[bytes, bytes]:
    jwks = suite.api().get("/identity/v1/.well-known/jwks.json").json()
    [jwk] = [key for key in jwks["keys"] if key["kid"] == kid]
    key = jwt.algorithms.OKPAlgorithm.from_jwk(json.dumps(jwk))
    return (key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
            key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def test_forgeries_on_identitys_real_key_are_refused_through_the_gateway_and_by_each_service(
    proof_suite: RunningSuite, proof_admin_token: str, figures: Any
) -> None:
    kid = jwt.get_unverified_header(proof_admin_token)["kid"]
    raw, pem = published_key(proof_suite, kid)
    forged = public_forgeries(kid, raw, pem, proof_admin_token)
    requests_made = 0
    for service, path in PROTECTED.items():
        for base in (proof_suite.url, proof_suite.suite.service_url(service)):
            api = proof_suite.api()
            assert api.get(path, headers={"Authorization": f"Bearer {proof_admin_token}"}).status_code != 401
            for name, token in forged.items():
                response = api.session.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
                assert response.status_code == 401, (base, name, response.status_code, response.text[:200])
                requests_made += 1
    figures("auth: forgeries on identity's published key (running suite)",
            f"{len(forged)} kinds × {len(PROTECTED)} services × (gateway, direct) = {requests_made} requests, all 401")


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(proof_suite: RunningSuite) -> None:
    anonymous = proof_suite.api()
    first = anonymous.login(*proof_suite.admin_credentials)
    family = [first["refresh_token"]]
    for _ in range(3):
        renewed = anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": family[-1]})
        assert renewed.status_code == 200, renewed.text
        family.append(renewed.json()["refresh_token"])
    reused = anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": family[1]})
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_token_reused"
    for token in family:
        assert anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": token}).status_code == 401
    other_session = anonymous.login(*proof_suite.admin_credentials)["refresh_token"]
    assert anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": other_session}).status_code == 200


def test_failed_logins_lock_an_account_after_at_most_ten_a_minute(proof_suite: RunningSuite, proof_admin_token: str,
                                                                   figures: Any) -> None:
    email = f"throttled-{uuid.uuid4().hex[:8]}@tenant.test"
    created = proof_suite.api(proof_admin_token).post(
        "/identity/v1/tenants", json={"name": "节流测试有限公司", "admin_email": email, "admin_phone": new_phone()})
    assert created.status_code == 201, created.text
    initial = PASSWORD_RE.search(body_text(proof_suite.smtp.wait_for(email)[0])).group(1)
    api = proof_suite.api()
    statuses = [api.post("/identity/v1/auth/login", json={"username": email, "password": f"wrong-{i}"}).status_code for i in range(15)]
    evaluated = statuses.index(429) if 429 in statuses else len(statuses)
    locked = api.post("/identity/v1/auth/login", json={"username": email, "password": initial})
    figures("auth: login throttling (running suite)",
            f"wrong passwords answered 401 before the lock: {evaluated}; then {statuses[evaluated:]}; "
            f"the right password while locked: {locked.status_code} (Retry-After {locked.headers.get('Retry-After')})")
    assert set(statuses[:evaluated]) == {401} and evaluated <= 10
    assert set(statuses[evaluated:]) == {429}
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert api.post("/identity/v1/auth/login", json=dict(zip(("username", "password"), proof_suite.admin_credentials,
                                                               strict=True))).status_code == 200


ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def database_url(suite: RunningSuite, service: str) -> str:
    return suite.database_urls.get(service) or suite.suite.database_server.url_of(service)


def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def test_stored_password_hashes_are_argon2id_at_or_above_owasp(proof_suite: RunningSuite, proof_admin_token: str,
                                                                figures: Any) -> None:
    stored = rows(database_url(proof_suite, "identity"), "SELECT password_hash FROM users WHERE password_hash IS NOT NULL")
    hashes = [row[0] for row in stored]
    parameters = [ARGON2.match(h) for h in hashes]
    assert hashes and all(parameters), [h[:30] for h, p in zip(hashes, parameters, strict=True) if not p]
    seen = {(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in parameters if m}
    figures("auth: password hashes (running suite)", f"{len(hashes)} users, argon2id (m KiB, t, p): {sorted(seen)}")
    assert all(m >= 19 * 1024 and t >= 2 and p >= 1 for m, t, p in seen)


# ---- secrets never in logs ---------------------------------------------------------------------------


def secret_creating_flow(suite: RunningSuite, admin_token: str) -> dict[str, str]:
    """A short story that makes one of each kind of secret; answers the ones only the client saw."""
    platform = suite.api(admin_token)
    tenant = create_tenant(suite, admin_token, name=f"秘密测试{uuid.uuid4().hex[:4]}有限公司")
    seat = f"SECRET-SEAT-{uuid.uuid4().hex[:6]}"
    assert platform.post("/entitlements/v1/products", json={"code": seat, "name": "席位", "kind": "seat",
                                                             "service_group": "invoice_issuing"}).status_code == 201
    line = {"product_code": seat, "quantity": 1, "valid_from": "2025-01-01", "valid_to": "2030-12-31"}
    order = wait_until(lambda: _delivered(platform, tenant.tenant_id, line), 30, interval=0.5, what="the order")
    admin = suite.api(tenant.access_token)
    key = _mailed(suite, tenant.email, order["order_no"], OPERATION_KEY_RE)
    activated = admin.post("/entitlements/v1/orders/activate", json={"operation_key": key, "erp": "galaxy", "deployment": "public_cloud"})
    assert activated.status_code == 200, activated.text
    tax_id = new_tax_id()
    enterprise = admin.post("/entitlements/v1/enterprises", json={"name": "秘密企业有限公司", "tax_id": tax_id}).json()
    allocated = admin.post("/entitlements/v1/allocations", json={"order_line_id": activated.json()["lines"][0]["id"],
                                                                  "enterprise_ids": [enterprise["id"]]})
    assert allocated.status_code == 201, allocated.text
    client = wait_until(lambda: (admin.get(f"/identity/v1/api-clients?tax_id={tax_id}").json().get("items") or [None])[0], 30,
                        interval=0.5, what="the API client")
    secret = admin.post(f"/identity/v1/api-clients/{client['client_id']}/reveal").json()["client_secret"]
    client_token = suite.api().post("/identity/v1/oauth/token", json={"grant_type": "client_credentials", "client_id": client["client_id"],
                                                                       "client_secret": secret}).json()["access_token"]
    email = f"invitee-{uuid.uuid4().hex[:8]}@users.test"
    invited = admin.post("/identity/v1/users", json={"org_id": tenant.tenant_id, "email": email, "phone": new_phone(), "name": "受邀",
                                                     "roles": ["tenant_admin"]})
    assert invited.status_code == 201, invited.text
    invitation = INVITATION_TOKEN_RE.search(body_text(suite.smtp.wait_for(email)[0])).group(1)
    chosen = "Invitee-Passw0rd-" + uuid.uuid4().hex[:6]
    assert suite.api().post("/identity/v1/invitations/accept", json={"token": invitation, "password": chosen}).status_code == 200
    return {"client secret": secret, "client access token": client_token, "tenant admin password": tenant.password,
            "tenant admin refresh token": tenant.refresh_token, "tenant admin access token": tenant.access_token,
            "invitee password": chosen, "platform admin password": suite.admin_credentials[1]}


def _delivered(platform: Any, tenant_id: str, line: dict[str, Any]) -> dict[str, Any] | None:
    response = platform.post("/entitlements/v1/orders", json={"tenant_id": tenant_id, "lines": [line]})
    return response.json() if response.status_code == 201 else None


def _mailed(suite: RunningSuite, email: str, marker: str, pattern: re.Pattern[str]) -> str:
    def found() -> str | None:
        for message in suite.smtp.to(email):
            body = body_text(message)
            if marker in body and pattern.search(body):
                return pattern.search(body).group(1)
        return None

    return wait_until(found, 30, what=f"the mail about {marker}")


def delivered_secrets(suite: RunningSuite) -> dict[str, str]:
    """Every secret that reached a person: from every mail the SMTP sink got and every SMS file."""
    found: dict[str, str] = {}
    for message in list(suite.smtp.messages):
        body = body_text(message)
        for kind, pattern in (("initial password", PASSWORD_RE), ("operation key", OPERATION_KEY_RE),
                              ("invitation token", INVITATION_TOKEN_RE)):
            for match in pattern.finditer(body):
                found[match.group(1)] = kind
    for sms in (suite.var_dir / "sms").glob("*") if (suite.var_dir / "sms").exists() else []:
        for match in SMS_CODE_RE.finditer(sms.read_text()):
            found[match.group(1)] = "SMS code"
    return found


def appears(secret: str, text_: str) -> bool:
    """A short secret (a 6-digit SMS code) counts only as a whole token, not inside a hex id or a timestamp."""
    if len(secret) >= 12:
        return secret in text_
    return re.search(rf"(?<![0-9A-Za-z.]){re.escape(secret)}(?![0-9A-Za-z])", text_) is not None


def test_no_secret_the_suite_created_appears_in_any_log_or_stored_message(proof_suite: RunningSuite, proof_admin_token: str,
                                                                         figures: Any) -> None:
    client_side = secret_creating_flow(proof_suite, proof_admin_token)
    time.sleep(2)  # let the workers log whatever they log about the last events
    secrets = {**delivered_secrets(proof_suite), **{value: kind for kind, value in client_side.items()}}
    logs = sorted((proof_suite.var_dir / "logs").glob("*.log"))
    text_of = {path.name: path.read_text(errors="replace") for path in logs}
    stored = rows(database_url(proof_suite, "notifier"), "SELECT coalesce(subject, '') || ' ' || body FROM messages")
    stored_text = "\n".join(row[0] for row in stored)
    leaks = [(kind, name) for value, kind in secrets.items() for name, content in text_of.items() if appears(value, content)]
    leaks += [(kind, "notifier.messages") for value, kind in secrets.items() if appears(value, stored_text)]
    kinds: dict[str, int] = {}
    for kind in secrets.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    figures("auth: secrets in logs (running suite)",
            f"{len(secrets)} secrets ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}) searched in {len(logs)} logs "
            f"({sum(len(t) for t in text_of.values()) // 1024} KiB) and {len(stored)} stored messages: {len(leaks)} found {leaks[:10]}")
    assert {"initial password", "operation key", "invitation token", "SMS code"} <= set(kinds)
    assert leaks == []
