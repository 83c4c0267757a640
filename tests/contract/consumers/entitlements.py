"""entitlements' expectations: identity's tenants and API clients, licensing's saga requests, marketplace's paid orders."""
from __future__ import annotations

from typing import Any

from services.entitlements.adapters.orm import orders, tenants
from tests.contract.consumers import LANGUAGE, SERVICE_GROUP, TAX_ID, TENANT, MessageExpectation
from tests.contract.harness import Service
from tests.contract.matchers import date, each, nullable, one_of, timestamp
from tests.contract.providers import entitlements as drive

KINDS = ("tenant", "reseller", "dealer", "company", "platform")
STATUS = one_of("active", "disabled")
ORGANISATION = {"org_id": TENANT, "kind": one_of(*KINDS), "name": "苏州测试科技有限公司",
                "contact_email": nullable("admin@acme.test"), "contact_phone": nullable("13800138000"), "status": STATUS}


def tenant_known(service: Service, body: dict[str, Any]) -> None:
    assert service.count(tenants, tenants.c.id == body["data"].get("tenant_id", body["data"].get("org_id"))) == 1


def answered(answer_type: str) -> Any:
    def check(service: Service, body: dict[str, Any]) -> None:
        answer = service.last_event(answer_type)["data"]
        assert answer["request_id"] == body["data"]["request_id"], answer

    return check


def seat_held(service: Service) -> None:
    """The tenant's activated order, and the seat the cancellation releases held for the tax ID."""
    drive.activated_order(service)
    service.handle(drive.authorized("req-1"))


def order_for_the_tenant(service: Service, body: dict[str, Any]) -> None:
    assert service.count(orders, orders.c.source == "marketplace", orders.c.source_ref == body["data"]["order_id"]) == 1


LICENSE_REQUEST = {"tenant_id": TENANT, "request_id": "req-1", "tax_id": TAX_ID, "service_group": SERVICE_GROUP}

EXPECTATIONS = [
    MessageExpectation(
        "entitlements", "identity.tenant.created.v1", "the tenant read model", "a platform admin created a tenant", TENANT,
        {"tenant_id": TENANT, "name": "苏州测试科技有限公司", "contact_email": nullable("admin@acme.test"),
         "contact_phone": nullable("13800138000"), "status": STATUS, "created_at": timestamp(),
         "admin": {"user_id": "user-1", "username": "admin@acme.test"}, "recipient": {"language": nullable(LANGUAGE)}},
        check=tenant_known),
    MessageExpectation(
        "entitlements", "identity.organisation.created.v1", "the tenant read model (tenants only)", "a platform admin created a tenant",
        TENANT, ORGANISATION, check=tenant_known),
    MessageExpectation(
        "entitlements", "identity.organisation.updated.v1", "the tenant read model (tenants only)", "a platform admin renamed a tenant",
        TENANT, ORGANISATION, check=tenant_known),
    MessageExpectation(
        "entitlements", "identity.api_client.issued.v1", "the enterprise's authorisation info",
        "a tenant allocated a seat to an enterprise for the first time", "cli_5f2a9c",
        {"tenant_id": TENANT, "enterprise_id": "ent-1", "client_id": "cli_5f2a9c"}),
    MessageExpectation(
        "entitlements", "licensing.license.authorized.v1", "a seat for the tax ID, answered granted or refused",
        "a tenant admin authorized an imported enterprise for invoice issuing", f"{TENANT}:{TAX_ID}:invoice_issuing",
        {**LICENSE_REQUEST, "enterprise_name": nullable("苏州测试科技有限公司"), "serial_number": nullable("SN-0001"),
         "license_type": one_of("formal", "temporary", "none"), "idc": False},
        prepare=drive.activated_order, check=answered("entitlements.seat.granted.v1")),
    MessageExpectation(
        "entitlements", "licensing.license.cancelled.v1", "the tax ID's seat released, answered released",
        "a tenant admin cancelled the invoice-issuing authorization of an enterprise holding a seat",
        f"{TENANT}:{TAX_ID}:invoice_issuing", LICENSE_REQUEST, prepare=seat_held, check=answered("entitlements.seat.released.v1")),
    MessageExpectation(
        "entitlements", "marketplace.order.paid.v1", "the order delivered to the customer's tenant",
        "a reseller paid online for a customer's order", "m-order-1",
        {"order_id": "m-order-1", "tenant_id": nullable(TENANT),
         "entitlement_lines": each({"product_code": "INV-ISSUE", "quantity": 2, "valid_from": date("2026-01-01"),
                                    "valid_to": date("2026-12-31")}, min=0)},
        prepare=drive.seat_product, check=order_for_the_tenant),
]
