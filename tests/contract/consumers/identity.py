"""identity's expectations: first seat allocations (API clients) and approved reseller applications."""
from __future__ import annotations

from typing import Any

from services.identity.adapters.orm import api_clients, organisations
from tests.contract.consumers import TAX_ID, TENANT, MessageExpectation, recipient
from tests.contract.harness import Service
from tests.contract.matchers import each, nullable, one_of


def client_issued(service: Service, body: dict[str, Any]) -> None:
    assert service.count(api_clients, api_clients.c.tax_id == body["data"]["allocations"][0]["tax_id"]) == 1


def reseller_created(service: Service, body: dict[str, Any]) -> None:
    reference = f"reseller_application:{body['data']['application_id']}"
    assert service.count(organisations, organisations.c.external_ref == reference) == 1
    assert service.last_event("identity.user.invited.v1")["data"]["email"] == body["data"]["email"]


EXPECTATIONS = [
    MessageExpectation(
        "identity", "entitlements.seats.allocated.v1", "an API client for each enterprise's first allocation",
        "a tenant allocated an invoice-issuing seat to a new enterprise", "line-1",
        {"tenant_id": TENANT, "allocations": each({"enterprise_id": "ent-1", "tax_id": TAX_ID,
                                                   "enterprise_name": nullable("苏州测试科技有限公司"), "first_for_enterprise": True}),
         "recipient": recipient()},
        check=client_issued),
    MessageExpectation(
        "identity", "marketplace.reseller.approved.v1", "the reseller organisation and its invited admin",
        "platform staff approved a reseller application at tier silver", "app-1",
        {"application_id": "app-1", "company": "蓝云测试科技有限公司", "contact_name": "安可", "email": "an@reseller.test",
         "phone": nullable("13653812334"), "tier": one_of("registered", "silver", "gold", example="silver")},
        check=reseller_created),
]
