"""identity's expectations: first seat allocations (API clients) and approved reseller applications."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.identity.adapters.orm import api_clients, organisations
from services.identity.service_layer.api_clients import issue_for_first_allocations
from shared.envelope import Event
from tests.contract.consumers import TAX_ID, TENANT, MessageExpectation, recipient
from tests.contract.harness import Service
from tests.contract.matchers import each, nullable, one_of, uuid

NEW_TENANT = "7c2d9e4b-1a3f-4b6c-8d5e-9f0a1b2c3d4e"


def client_issued(service: Service, body: dict[str, Any]) -> None:
    assert service.count(api_clients, api_clients.c.tax_id == body["data"]["allocations"][0]["tax_id"]) == 1


def reseller_created(service: Service, body: dict[str, Any]) -> None:
    reference = f"reseller_application:{body['data']['application_id']}"
    assert service.count(organisations, organisations.c.external_ref == reference) == 1
    assert service.last_event("identity.user.invited.v1")["data"]["email"] == body["data"]["email"]


def client_issued_for_the_enterprise(service: Service) -> None:
    """Tenant T's enterprise ent-1 (TAX_ID) has its API client."""
    data = {"tenant_id": TENANT, "allocations": [{"enterprise_id": "ent-1", "tax_id": TAX_ID, "enterprise_name": "苏州测试科技有限公司",
                                                  "first_for_enterprise": True}], "recipient": None}
    event = Event(type="entitlements.seats.allocated.v1", source="/services/entitlements", subject="line-1", data=data)
    service.run(lambda uow: issue_for_first_allocations(uow, service.context.extras["kit"], event))


def client_followed(service: Service, body: dict[str, Any]) -> None:
    data = body["data"]
    with service.context.session_factory() as session:
        owner = session.execute(select(api_clients.c.tenant_id).where(api_clients.c.enterprise_id == "ent-1")).scalar_one()
    assert owner == data["to_tenant_id"], owner


def reseller_with_dealer(service: Service) -> None:
    """identity has the reseller organisation and its dealer organisation dealer-org-1."""
    def create(uow: Any) -> None:
        for org_id, kind, parent in (("reseller-a", "reseller", None), ("dealer-org-1", "dealer", "reseller-a")):
            uow.session.execute(organisations.insert().values(id=org_id, kind=kind, name=org_id, parent_id=parent, status="active",
                                                              created_at=uow.clock.now(), updated_at=uow.clock.now()))

    service.run(create)


def dealer_status_followed(status: str) -> Any:
    def check(service: Service, body: dict[str, Any]) -> None:
        with service.context.session_factory() as session:
            found = session.execute(select(organisations.c.status).where(organisations.c.id == body["data"]["org_id"])).scalar_one()
        assert found == status, found

    return check


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
    MessageExpectation(
        "identity", "entitlements.rights.moved.v1", "the enterprise's API client follows its tax ID and tenant",
        "platform staff approved moving an enterprise holding a seat to the tenant that asked for it", uuid(),
        {"change_request_id": uuid(), "kind": one_of("tax_id_replacement", "enterprise_move", "tenant_merge", example="enterprise_move"),
         "enterprise_id": nullable("ent-1"), "from_tenant_id": TENANT, "to_tenant_id": NEW_TENANT, "tax_id": nullable(TAX_ID),
         "old_tax_id": nullable(TAX_ID), "new_tax_id": nullable(TAX_ID)},
        prepare=client_issued_for_the_enterprise, check=client_followed),
    MessageExpectation(
        "identity", "marketplace.dealer.disabled.v1", "the dealer's organisation is disabled: no login, refresh tokens die",
        "a reseller admin disabled a dealer linked to its identity organisation", uuid(),
        {"dealer_id": uuid(), "reseller_id": "reseller-a", "org_id": nullable("dealer-org-1")},
        prepare=reseller_with_dealer, check=dealer_status_followed("disabled")),
    MessageExpectation(
        "identity", "marketplace.dealer.enabled.v1", "the dealer's organisation is enabled again",
        "a reseller admin enabled a disabled dealer again", uuid(),
        {"dealer_id": uuid(), "reseller_id": "reseller-a", "org_id": nullable("dealer-org-1")},
        prepare=reseller_with_dealer, check=dealer_status_followed("active")),
]
