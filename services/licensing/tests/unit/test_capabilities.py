"""Capabilities (LIC-4/LIC-5): issue or receive only while authorized with a succeeded sync, within validity."""
from __future__ import annotations

from services.licensing.tests.driver import LicensingDriver, tax_id
from shared.clock import FrozenClock
from shared.testkit import TokenFactory

ISSUING, RECEIVING = "invoice_issuing", "invoice_receiving"
A, B = tax_id(1), tax_id(2)


def client_of(tokens: TokenFactory, tax: str, tenant: str = "tenant-1") -> dict[str, str]:
    return tokens.headers(sub="client-1", org_id=tenant, roles=("api_client",), kind="client", tax_id=tax)


def test_an_enterprise_can_issue_and_receive_per_group_once_synced(ready: LicensingDriver) -> None:
    assert ready.capabilities(A).json == {"tax_id": A, "can_issue": False, "can_receive": False, "locked_until": None}
    ready.authorize(RECEIVING, A)
    ready.grant(A, RECEIVING)

    assert ready.capabilities(A).json == {"tax_id": A, "can_issue": False, "can_receive": True, "locked_until": None}


def test_capabilities_end_with_the_validity_entitlements_gave(ready: LicensingDriver, clock: FrozenClock) -> None:
    ready.authorize(ISSUING, A)
    ready.grant(A, ISSUING, valid_to="2026-01-31")

    clock.advance(days=30)
    assert ready.capabilities(A).json["can_issue"] is True
    clock.advance(days=1)
    assert ready.capabilities(A).json["can_issue"] is False


def test_the_api_client_of_the_tax_id_sees_its_own_capabilities_only(ready: LicensingDriver, tokens: TokenFactory) -> None:
    ready.authorize(ISSUING, A)
    ready.grant(A, ISSUING)

    own = ready.capabilities(A, headers=client_of(tokens, A))
    assert own.status_code == 200 and own.json["can_issue"] is True
    assert ready.capabilities(B, headers=client_of(tokens, A)).status_code == 404
    assert ready.capabilities(A, headers=client_of(tokens, A, tenant="tenant-2")).status_code == 404


def test_api_clients_cannot_authorize(ready: LicensingDriver, tokens: TokenFactory) -> None:
    body = {"service_group": ISSUING, "tax_ids": [A]}
    response = ready.client.post("/licensing/v1/authorizations", json=body, headers=client_of(tokens, A))

    assert response.status_code == 403


def test_unknown_tax_ids_are_404(ready: LicensingDriver) -> None:
    response = ready.capabilities(tax_id(99))

    assert response.status_code == 404 and response.json["code"] == "not_found"
