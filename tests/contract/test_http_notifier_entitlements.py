"""HTTP pacts (V4) of the one synchronous call between services: the notifier drawing SMS traffic (ENT-7).

Consumer `notifier-traffic` (services/notifier/adapters/traffic.py, `HttpTrafficClient`):
- → identity: the client-credentials grant of the notifier's service account (`POST /identity/v1/oauth/token`);
- → entitlements: one SMS use for a tenant (`POST /entitlements/v1/usage` with the message id as
  `Idempotency-Key`), answered 201 with what is left, or 409 `insufficient_quota`.

The consumer test drives the real client against pact's mock servers; the provider tests replay the
pacts against the real identity and entitlements apps on a local port (the bearer token is replaced
by a fresh service token, as in providers/http.py). The pact files live in `pacts/service-calls/`, so
the general HTTP provider test (test_http_pacts.py, which replays every pact in `pacts/`) does not
meet provider states it does not know.
"""
from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, Verifier

from services.entitlements.tests.portal import Portal
from services.identity.bootstrap import build_app as build_identity
from services.identity.bootstrap import build_context as identity_context
from services.identity.config import Settings as IdentitySettings
from services.notifier.adapters.traffic import HttpTrafficClient
from services.notifier.domain.traffic import DrawAnswer, DrawOutcome
from tests.contract.consumers.http import BEARER, EXAMPLE_TOKEN
from tests.contract.harness import PACT_DIR, Service, common_settings
from tests.contract.matchers import build, exactly, pattern
from tests.contract.providers.http import ProviderServer, Replay, signed_in

SERVICE_CALLS_DIR = PACT_DIR / "service-calls"
CONSUMER = "notifier-traffic"
CLIENT_ID = "notifier"
CONTRACT_SECRET = "contract-notifier-service-secret"
TENANT, EMPTY_TENANT = "tenant-1", "tenant-2"
MESSAGE_ID = "5f0c6d2e-8a47-4c1b-9d3e-2b7a1c9e4f60"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

TOKEN_STATE = "the notifier has a service account"
POOL_STATE = "tenant tenant-1 has 10 SMS of traffic"
EMPTY_STATE = "tenant tenant-2 has used up its SMS traffic"


def _usage_request(interaction: Any, tenant_id: str) -> Any:
    interaction.with_request("POST", "/entitlements/v1/usage")
    interaction.with_header("Authorization", build(BEARER)[0], part="Request")
    interaction.with_header("Idempotency-Key", build(pattern(MESSAGE_ID, UUID))[0], part="Request")
    body = {"tenant_id": exactly(tenant_id), "product_code": "SMS", "units": exactly(1), "reference": pattern(MESSAGE_ID, UUID)}
    return interaction.with_body(build(body)[0], content_type="application/json", part="Request")


def identity_pact() -> Pact:
    pact = Pact(CONSUMER, "identity").with_specification("V4")
    (pact.upon_receiving("the notifier's service account asks for an access token").given(TOKEN_STATE)
     .with_request("POST", "/identity/v1/oauth/token")
     .with_body(f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CONTRACT_SECRET}",
                content_type="application/x-www-form-urlencoded", part="Request")
     .will_respond_with(200)
     .with_body(build({"access_token": EXAMPLE_TOKEN.removeprefix("Bearer "), "token_type": exactly("Bearer"),
                       "expires_in": 900})[0], content_type="application/json", part="Response"))
    return pact


def entitlements_pact() -> Pact:
    pact = Pact(CONSUMER, "entitlements").with_specification("V4")
    drawn = _usage_request(pact.upon_receiving("the notifier draws one SMS for a tenant with SMS traffic").given(POOL_STATE), TENANT)
    drawn.will_respond_with(201).with_body(build({"remaining": 9, "deducted": exactly(1)})[0], content_type="application/json",
                                           part="Response")
    empty = _usage_request(pact.upon_receiving("the notifier draws one SMS for a tenant without SMS traffic left").given(EMPTY_STATE),
                           EMPTY_TENANT)
    empty.will_respond_with(409)
    empty.with_body(build({"code": exactly("insufficient_quota"), "status": exactly(409), "available": 0})[0],
                    content_type="application/problem+json", part="Response")
    return pact


def test_the_notifier_traffic_client_against_identity_and_entitlements() -> None:
    identity, entitlements = identity_pact(), entitlements_pact()
    with identity.serve(addr="127.0.0.1") as identity_server, entitlements.serve(addr="127.0.0.1") as entitlements_server:
        client = HttpTrafficClient(str(identity_server.url).rstrip("/"), str(entitlements_server.url).rstrip("/"), CLIENT_ID,
                                   CONTRACT_SECRET, "SMS", tries=1)
        assert client.draw_sms(TENANT, MESSAGE_ID) == DrawAnswer(DrawOutcome.DRAWN, remaining=9)
        assert client.draw_sms(EMPTY_TENANT, MESSAGE_ID) == DrawAnswer(DrawOutcome.REFUSED, "insufficient_quota")
    SERVICE_CALLS_DIR.mkdir(exist_ok=True)
    identity.write_file(SERVICE_CALLS_DIR, overwrite=True)
    entitlements.write_file(SERVICE_CALLS_DIR, overwrite=True)


def _identity_with_service_account(service: Service) -> Any:
    settings = IdentitySettings(common=common_settings("identity", service.database_url), key_encryption_key=b"k" * 32,
                                key_activation_seconds=0, service_clients={CLIENT_ID: CONTRACT_SECRET})
    return build_identity(settings, context=identity_context(settings, service.clock))


def _sms_pool(service: Service, tenant_id: str, quantity: int, used: int) -> Replay:
    portal = Portal(service.app, service.client(), service.tokens)
    portal.tenant_known(tenant_id)
    portal.product("SMS", kind="traffic", traffic_category="sms")
    portal.activated_order(tenant_id, {"product_code": "SMS", "quantity": quantity, "valid_to": "2026-12-31"})
    notifier = service.headers(sub=f"service:{CLIENT_ID}", org_id="platform", org_kind="platform", roles=("service",), kind="client")
    for index in range(used):
        drawn = service.client().post("/entitlements/v1/usage", headers=notifier,
                                      json={"tenant_id": tenant_id, "product_code": "SMS", "units": 1, "reference": f"earlier-{index}"})
        assert drawn.status_code == 201, drawn.get_json()
    return signed_in(notifier)


STATES = {
    "identity": {TOKEN_STATE: lambda service: (Replay(), _identity_with_service_account(service))},
    "entitlements": {
        POOL_STATE: lambda service: (_sms_pool(service, TENANT, 10, 0), service.app),
        EMPTY_STATE: lambda service: (_sms_pool(service, EMPTY_TENANT, 2, 2), service.app),
    },
}


@pytest.mark.parametrize("provider", sorted(STATES))
def test_provider_answers_the_notifier_traffic_client(provider: str, tmp_path: Path) -> None:
    path = SERVICE_CALLS_DIR / f"{CONSUMER}-{provider}.json"
    if not path.exists():
        test_the_notifier_traffic_client_against_identity_and_entitlements()
    failures: list[str] = []
    with ProviderServer() as server:

        def set_up(state: str, action: str, parameters: dict[str, Any] | None) -> None:  # noqa: ARG001 - pact passes it by name
            if action != "setup":
                return
            service = Service(provider, tmp_path / f"state-{len(list(tmp_path.iterdir()))}", own_url=server.url)
            try:
                server.replay, server.app = STATES[provider][state](service)
            except Exception:
                failures.append(f"provider state {state!r}:\n{traceback.format_exc()}")
                raise

        verifier = Verifier(provider, host="127.0.0.1").add_transport(url=server.url).state_handler(set_up).add_source(path)
        try:
            verifier.verify()
        except RuntimeError:
            pytest.fail("\n".join([verifier.output(strip_ansi=True), *failures]))
