"""Token verification at the edge: a present token must be valid; no token passes through."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.auth import JwksCache, TokenVerifier
from shared.testkit import TokenFactory


def _b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _claims(tokens: TokenFactory) -> dict:
    now = int(time.time())
    return {"iss": tokens.issuer, "aud": tokens.audience, "sub": "intruder", "iat": now, "exp": now + 600, "roles": ["platform_admin"]}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_request_without_token_passes_to_the_service(gateway: FlaskClient) -> None:
    response = gateway.post("/billing/v1/sandbox/pay/p-1", json={"outcome": "success"})

    assert response.status_code == 200
    assert "authorization" not in response.json["headers"]


def test_valid_token_passes(gateway: FlaskClient, tokens: TokenFactory) -> None:
    response = gateway.get("/billing/v1/devices", headers=tokens.headers())

    assert response.status_code == 200


def test_token_signed_with_another_key_under_the_same_kid_is_401(gateway: FlaskClient, tokens: TokenFactory) -> None:
    forger = TokenFactory()
    forger.kid = tokens.kid

    response = gateway.get("/billing/v1/devices", headers=forger.headers(roles=("platform_admin",)))

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "invalid_token"


def test_token_of_an_unknown_key_is_401(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices", headers=TokenFactory().headers())

    assert response.status_code == 401


def test_unsigned_alg_none_token_is_401(gateway: FlaskClient, tokens: TokenFactory) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': tokens.kid})}.{_b64(_claims(tokens))}."

    response = gateway.get("/billing/v1/devices", headers=_bearer(unsigned))

    assert response.status_code == 401
    assert response.json["code"] == "invalid_token"


def test_hmac_token_keyed_with_the_public_key_is_401(gateway: FlaskClient, tokens: TokenFactory) -> None:
    public_key = json.dumps(tokens.jwks()["keys"][0]).encode()
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': tokens.kid})}.{_b64(_claims(tokens))}"
    mac = hmac.new(public_key, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    response = gateway.get("/billing/v1/devices", headers=_bearer(forged))

    assert response.status_code == 401


def test_expired_token_is_401_token_expired(gateway: FlaskClient, tokens: TokenFactory) -> None:
    response = gateway.get("/billing/v1/devices", headers=tokens.headers(ttl=-60))

    assert response.status_code == 401
    assert response.json["code"] == "token_expired"


def test_token_with_a_tampered_payload_is_401(gateway: FlaskClient, tokens: TokenFactory) -> None:
    header, _payload, signature = tokens.token(roles=("customer",)).split(".")
    tampered = f"{header}.{_b64(_claims(tokens))}.{signature}"

    response = gateway.get("/billing/v1/devices", headers=_bearer(tampered))

    assert response.status_code == 401


@pytest.mark.parametrize("value", ["Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"])
def test_malformed_authorization_is_401(gateway: FlaskClient, value: str) -> None:
    response = gateway.get("/billing/v1/devices", headers={"Authorization": value})

    assert response.status_code == 401
    assert response.json["code"] == "invalid_token"


def test_token_expiring_after_its_first_use_is_refused_afterwards(
    make_gateway: Callable[..., Flask], billing_url: str, tokens: TokenFactory
) -> None:
    strict = TokenVerifier(JwksCache(tokens.jwks), issuer=tokens.issuer, audience=tokens.audience, leeway=0)
    client = make_gateway({"billing": billing_url}, verifier=strict).test_client()
    headers = tokens.headers(ttl=1)
    assert client.get("/billing/v1/devices", headers=headers).status_code == 200

    time.sleep(1.2)
    response = client.get("/billing/v1/devices", headers=headers)

    assert response.status_code == 401
    assert response.json["code"] == "token_expired"
