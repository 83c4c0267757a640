"""HTTP pacts (V4) for every call one part of the suite makes to another.

Consumers: the gateway (what it forwards to each service and what it asks of them itself), the token
verifier every service and the gateway run (identity's JWKS), and the sandbox payment providers (the
signed callbacks of billing and marketplace). Each consumer test drives the consumer's real code
against pact's mock server; each provider test replays every HTTP pact naming the provider against
its real app served on a local port (tests/contract/providers/http.py).
"""
from __future__ import annotations

import base64
import time
import traceback
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pact import Pact, Verifier

from gateway.app import create_app
from gateway.config import GatewayConfig
from services.billing.adapters.payment_providers import http_transport
from services.marketplace.adapters.sandbox_provider import http_poster
from shared.auth import JwksCache, TokenVerifier, http_jwks
from shared.testkit import TokenFactory
from tests.contract.consumers.http import (
    EXAMPLE_TOKEN,
    GATEWAY,
    SANDBOX_CALLBACKS,
    TOKEN_VERIFIER,
    WEB,
    HttpExpectation,
    all_http_expectations,
)
from tests.contract.harness import HTTP, Service, verify_pacts, write_pact
from tests.contract.matchers import build, example_of
from tests.contract.providers import billing, marketplace
from tests.contract.providers.http import HTTP_STATES, ProviderServer, Replay
from web.gateway_client import ApiError, GatewayClient

# RFC 8037's example Ed25519 key: the token verifier's pact shows its public half as the example key.
RFC8037_PRIVATE_KEY = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"


def http_pact(consumer: str, provider: str, expectations: list[HttpExpectation]) -> Pact:
    pact = Pact(consumer, provider).with_specification("V4")
    for expectation in expectations:
        interaction = pact.upon_receiving(expectation.description).given(expectation.state)
        interaction.with_request(expectation.method, expectation.path)
        for name, value in expectation.query.items():
            interaction.with_query_parameter(name, value)
        for name, value in expectation.request_headers.items():
            interaction.with_header(name, build(value)[0], part="Request")
        if expectation.body is not None:
            interaction.with_body(build(expectation.body)[0], content_type="application/json", part="Request")
        interaction.will_respond_with(expectation.status)
        for name, value in expectation.response_headers.items():
            interaction.with_header(name, build(value)[0], part="Response")
        if expectation.response is not None:
            interaction.with_body(build(expectation.response)[0], part="Response")
    return pact


def send(client: Any, expectation: HttpExpectation, headers: dict[str, str]) -> Any:
    return client.open(expectation.path, method=expectation.method, query_string=expectation.query, headers=headers,
                       json=example_of(expectation.body) if expectation.body is not None else None)


GATEWAY_PROVIDERS = sorted({e.provider for e in GATEWAY})


@pytest.mark.parametrize("provider", GATEWAY_PROVIDERS)
def test_gateway_forwards_requests_and_reads_probes_and_openapi(provider: str) -> None:
    expectations = [e for e in GATEWAY if e.provider == provider]
    pact = http_pact("gateway", provider, expectations)
    tokens = TokenFactory()
    with pact.serve(addr="127.0.0.1") as server:
        config = GatewayConfig(service_urls={provider: str(server.url).rstrip("/")}, openapi_ttl=0)
        client = create_app(config, verifier=tokens.verifier()).test_client()
        for expectation in expectations:
            if expectation.path == "/readyz":
                assert client.get("/readyz").get_json()["services"] == {provider: "ready"}
            elif expectation.path == "/openapi.json":
                assert client.get("/openapi.json").status_code == 200
            else:
                headers = {"Authorization": f"Bearer {tokens.token()}"} if expectation.signed_in else {}
                response = send(client, expectation, headers)
                assert response.status_code == expectation.status, response.get_data(as_text=True)
                assert set(example_of(expectation.response)) <= set(response.get_json())
    write_pact(pact, "gateway", provider)


def test_token_verifier_trusts_the_keys_identity_publishes() -> None:
    [expectation] = TOKEN_VERIFIER
    pact = http_pact("token-verifier", "identity", TOKEN_VERIFIER)
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC8037_PRIVATE_KEY + "="))
    now = int(time.time())
    token = jwt.encode({"iss": "suite-identity", "aud": "suite", "sub": "user-1", "org_id": "org-1", "org_kind": "tenant",
                        "roles": ["tenant_admin"], "iat": now, "exp": now + 60, "typ": "access"},
                       key, algorithm="EdDSA", headers={"kid": "key-1"})
    with pact.serve(addr="127.0.0.1") as server:
        jwks = JwksCache(http_jwks(str(server.url).rstrip("/") + expectation.path))
        principal = TokenVerifier(jwks, issuer="suite-identity", audience="suite").verify(token)
    assert principal.sub == "user-1"
    write_pact(pact, "token-verifier", "identity")


def test_billing_sandbox_calls_back_signed(tmp_path: Path) -> None:
    [expectation] = [e for e in SANDBOX_CALLBACKS if e.provider == "billing"]
    pact = http_pact("billing-sandbox", "billing", [expectation])
    with pact.serve(addr="127.0.0.1") as server:
        service = Service("billing", tmp_path, own_url=str(server.url).rstrip("/"), sandbox_poster=http_transport)
        payment_id = billing.awaiting_wechat_payment(service)
        paid = service.client().post(f"/billing/v1/sandbox/pay/{payment_id}", json={"outcome": "success"})
        assert paid.get_json()["callback_status"] == 200, paid.get_json()
    write_pact(pact, "billing-sandbox", "billing")


def test_marketplace_sandbox_calls_back_signed(tmp_path: Path) -> None:
    [expectation] = [e for e in SANDBOX_CALLBACKS if e.provider == "marketplace"]
    pact = http_pact("marketplace-sandbox", "marketplace", [expectation])
    with pact.serve(addr="127.0.0.1") as server:
        service = Service("marketplace", tmp_path, own_url=str(server.url).rstrip("/"), sandbox_poster=http_poster)
        started = marketplace.awaiting_online_payment(service)
        paid = service.client().post(f"/marketplace/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"})
        assert paid.get_json()["callback_status"] == 200, paid.get_json()
    write_pact(pact, "marketplace-sandbox", "marketplace")


WEB_PROVIDERS = sorted({e.provider for e in WEB})


@pytest.mark.parametrize("provider", WEB_PROVIDERS)
def test_the_portal_calls_the_api_as_its_pages_need(provider: str) -> None:
    """The web app's own HTTP client (web/gateway_client.py) against pact's mock server in the gateway's place."""
    expectations = [e for e in WEB if e.provider == provider]
    pact = http_pact("web", provider, expectations)
    with pact.serve(addr="127.0.0.1") as server:
        client = GatewayClient(str(server.url).rstrip("/"))
        for expectation in expectations:
            token = EXAMPLE_TOKEN.removeprefix("Bearer ") if expectation.signed_in else None
            body = example_of(expectation.body) if expectation.body is not None else None
            try:
                answer = client.json(expectation.method, expectation.path, token=token, json=body, params=expectation.query or None)
            except ApiError as refused:
                assert refused.status == expectation.status and refused.code == example_of(expectation.response)["code"], refused
                continue
            assert expectation.status < 400 and set(example_of(expectation.response)) <= set(answer)
    write_pact(pact, "web", provider)


HTTP_PROVIDERS = sorted({e.provider for e in all_http_expectations()})


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_provider_answers_what_its_http_consumers_expect(provider: str, tmp_path: Path) -> None:
    states = HTTP_STATES[provider]
    failures: list[str] = []
    with ProviderServer() as server:

        def set_up(state: str, action: str, parameters: dict[str, Any] | None) -> None:
            service = Service(provider, tmp_path / f"state-{len(failures)}-{time.monotonic_ns()}", own_url=server.url)
            try:
                server.replay = states[state](service) if state else Replay()
            except Exception:
                failures.append(f"provider state {state!r}:\n{traceback.format_exc()}")
                raise
            server.app = service.app

        verifier = Verifier(provider, host="127.0.0.1").add_transport(url=server.url).state_handler(set_up)
        verify_pacts(verifier, provider, HTTP, failures)
