"""identity as a producer: tenants, organisations, invitations, SMS codes and API clients."""
from __future__ import annotations

from typing import Any

from shared.envelope import new_event
from tests.contract.consumers import TAX_ID, TENANT
from tests.contract.harness import PLATFORM_ADMIN, Service
from tests.contract.providers import State, ok

TENANT_ADMIN = "boss@tenant.test"
NEW_PASSWORD = "Fresh-Passw0rd-2026"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(service: Service, username: str, password: str) -> dict[str, str]:
    answer = ok(service.client().post("/identity/v1/auth/login", json={"username": username, "password": password}))
    return bearer(answer["access_token"])


def platform_admin(service: Service) -> dict[str, str]:
    return login(service, *PLATFORM_ADMIN)


def create_tenant(service: Service) -> dict[str, Any]:
    body = {"name": "苏州测试科技有限公司", "admin_email": TENANT_ADMIN, "admin_phone": "13800138000"}
    return ok(service.client().post("/identity/v1/tenants", json=body, headers=platform_admin(service)), 201)


def tenant_created(service: Service) -> None:
    create_tenant(service)


def tenant_admin_signed_in(service: Service) -> dict[str, str]:
    """The tenant's first admin, signed in with the initial password from the welcome event."""
    tenant = create_tenant(service)
    password = service.last_event("identity.tenant.created.v1")["data"]["initial_password"]
    assert service.last_event("identity.tenant.created.v1")["data"]["tenant_id"] == tenant["id"]
    return login(service, TENANT_ADMIN, password)


def sms_code_requested(service: Service) -> None:
    headers = tenant_admin_signed_in(service)
    ok(service.client().post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}, headers=headers), 201)


def colleague_invited(service: Service, email: str = "new.user@tenant.test") -> None:
    headers = tenant_admin_signed_in(service)
    tenant_id = service.last_event("identity.tenant.created.v1")["data"]["tenant_id"]
    password = service.last_event("identity.tenant.created.v1")["data"]["initial_password"]
    ok(service.client().post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}, headers=headers), 201)
    code = service.last_event("identity.sms_code.requested.v1")["data"]["code"]
    changed = ok(service.client().post("/identity/v1/auth/password", headers=headers,
                                       json={"old_password": password, "new_password": NEW_PASSWORD, "sms_code": code}))
    body = {"org_id": tenant_id, "email": email, "phone": "13900000002", "name": "李雷", "roles": ["tenant_admin"]}
    ok(service.client().post("/identity/v1/users", json=body, headers=bearer(changed["access_token"])), 201)


def registered_address_invited(service: Service) -> None:
    """The platform admin's address has an account (in the platform organisation, not the tenant's)."""
    colleague_invited(service, email=PLATFORM_ADMIN[0])


def tenant_renamed(service: Service) -> None:
    tenant = create_tenant(service)
    ok(service.client().patch(f"/identity/v1/organisations/{tenant['id']}", json={"name": "苏州测试科技（集团）有限公司"},
                              headers=platform_admin(service)))


def subsidiary_company(service: Service) -> dict[str, Any]:
    admin = platform_admin(service)
    parent = ok(service.client().post("/identity/v1/organisations", json={"kind": "company", "name": "ACME 集团"}, headers=admin), 201)
    body = {"kind": "company", "name": "ACME 上海", "parent_id": parent["id"]}
    return ok(service.client().post("/identity/v1/organisations", json=body, headers=admin), 201)


def subsidiary_created(service: Service) -> None:
    subsidiary_company(service)


def subsidiary_renamed(service: Service) -> None:
    company = subsidiary_company(service)
    ok(service.client().patch(f"/identity/v1/organisations/{company['id']}", json={"name": "ACME 上海分公司"},
                              headers=platform_admin(service)))


def approved_reseller(service: Service) -> None:
    """identity consumed marketplace's approval: the reseller organisation and its invited admin."""
    service.handle(new_event("marketplace", "marketplace.reseller.approved.v1", "app-1", {
        "application_id": "app-1", "company": "蓝云测试科技有限公司", "contact_name": "安可", "email": "an@reseller.test",
        "phone": "13653812334", "position": "经理", "tier": "silver", "address": "上海市虹口区", "business_owner": "赵益康",
        "external_ref": "reseller_application:app-1",
    }).to_dict())


def reseller_renamed(service: Service) -> None:
    approved_reseller(service)
    org_id = service.last_event("identity.organisation.created.v1")["data"]["org_id"]
    ok(service.client().patch(f"/identity/v1/organisations/{org_id}", json={"name": "蓝云科技有限公司"}, headers=platform_admin(service)))


def first_allocation(service: Service) -> None:
    """identity consumed entitlements' first allocation of a seat to an enterprise."""
    service.handle(new_event("entitlements", "entitlements.seats.allocated.v1", "line-1", {
        "tenant_id": TENANT, "order_line_id": "line-1", "product_code": "INV-ISSUE", "service_group": "invoice_issuing",
        "allocations": [{"enterprise_id": "ent-1", "tax_id": TAX_ID, "enterprise_name": "苏州测试科技有限公司",
                         "first_for_enterprise": True}],
        "recipient": {"email": "admin@acme.test", "phone": "13800138000", "name": "张三", "language": "zh-CN"},
    }, tenant_id=TENANT).to_dict())


def reseller_admin_disabled(service: Service) -> None:
    approved_reseller(service)
    user_id = service.last_event("identity.user.invited.v1")["data"]["user_id"]
    ok(service.client().post(f"/identity/v1/users/{user_id}/disable", headers=platform_admin(service)))


STATES: dict[str, State] = {
    "a platform admin created a tenant": tenant_created,
    "a platform admin renamed a tenant": tenant_renamed,
    "a tenant admin invited a colleague": colleague_invited,
    "a tenant admin invited an address that has an account in another organisation": registered_address_invited,
    "a signed-in tenant admin asked for an SMS code to change the password": sms_code_requested,
    "a tenant allocated a seat to an enterprise for the first time": first_allocation,
    "a platform admin created a subsidiary company under a customer company": subsidiary_created,
    "a platform admin renamed a subsidiary company": subsidiary_renamed,
    "identity created the organisation of an approved reseller application and invited its admin": approved_reseller,
    "a platform admin renamed a reseller organisation": reseller_renamed,
    "a platform admin disabled the invited admin of a reseller organisation": reseller_admin_disabled,
}
