"""entitlements as a producer: orders delivered, seats allocated, lines expiring, the license saga's answers."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.entitlements.service_layer.expiry import send_expiry_reminders
from shared.envelope import new_event
from tests.contract.consumers import TAX_ID, TENANT
from tests.contract.harness import Service
from tests.contract.providers import State, ok

SEAT_PRODUCT = "INV-ISSUE"
OTHER_TAX_ID = "9144030071526726XG"
NEW_TENANT = "7c2d9e4b-1a3f-4b6c-8d5e-9f0a1b2c3d4e"


def staff(service: Service, role: str = "sales") -> dict[str, str]:
    return service.headers(sub=f"staff-{role}", org_id="platform", org_kind="platform", roles=(role,))


def tenant_admin(service: Service, tenant_id: str = TENANT) -> dict[str, str]:
    return service.headers(sub=f"admin-{tenant_id}", org_id=tenant_id, org_kind="tenant", roles=("tenant_admin",))


def known_tenant(service: Service, tenant_id: str = TENANT) -> None:
    """entitlements learnt of the tenant from identity (its read model)."""
    service.handle(new_event("identity", "identity.tenant.created.v1", tenant_id, {
        "tenant_id": tenant_id, "name": "苏州测试科技有限公司", "contact_email": "admin@acme.test", "contact_phone": "13800138000",
        "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": "admin-1", "username": "admin@acme.test"},
        "recipient": {"email": "admin@acme.test", "phone": "13800138000", "name": "张三", "language": "zh-CN"},
    }).to_dict())


def seat_product(service: Service, code: str = SEAT_PRODUCT) -> None:
    body = {"code": code, "name": "发票开具", "kind": "seat", "service_group": "invoice_issuing"}
    ok(service.client().post("/entitlements/v1/products", json=body, headers=staff(service, "platform_admin")), 201)


def delivered_order(service: Service, quantity: int = 3, valid_to: str = "2026-12-31", tenant_id: str = TENANT) -> dict[str, Any]:
    body = {"tenant_id": tenant_id, "lines": [{"product_code": SEAT_PRODUCT, "quantity": quantity, "valid_from": "2025-12-01",
                                              "valid_to": valid_to, "serial_number": "SN-0001"}]}
    return ok(service.client().post("/entitlements/v1/orders", json=body, headers=staff(service)), 201)


def activated_order(service: Service, quantity: int = 3, tenant_id: str = TENANT) -> dict[str, Any]:
    """A known tenant with a seat product's order delivered and activated with its operation key."""
    known_tenant(service, tenant_id)
    seat_product(service)
    order = delivered_order(service, quantity, tenant_id=tenant_id)
    key = service.last_event("entitlements.order.delivered.v1")["data"]["operation_key"]
    body = {"operation_key": key, "erp": "galaxy", "deployment": "public_cloud"}
    ok(service.client().post("/entitlements/v1/orders/activate", json=body, headers=tenant_admin(service, tenant_id)))
    return order


def license_event(event_type: str, request_id: str, tax_id: str = TAX_ID, **extra: Any) -> dict[str, Any]:
    data = {"tenant_id": TENANT, "request_id": request_id, "tax_id": tax_id, "service_group": "invoice_issuing", **extra}
    return new_event("licensing", event_type, f"{TENANT}:{tax_id}:invoice_issuing", data, tenant_id=TENANT).to_dict()


def authorized(request_id: str, tax_id: str = TAX_ID) -> dict[str, Any]:
    return license_event("licensing.license.authorized.v1", request_id, tax_id, enterprise_name="苏州测试科技有限公司",
                         serial_number=None, license_type="formal", idc=False, authorized_by="admin@acme.test")


def order_delivered(service: Service) -> None:
    known_tenant(service)
    seat_product(service)
    delivered_order(service)


def enterprise_added(service: Service) -> dict[str, Any]:
    """A known tenant added an enterprise by its tax ID."""
    known_tenant(service)
    return ok(service.client().post("/entitlements/v1/enterprises", json={"name": "苏州测试科技有限公司", "tax_id": TAX_ID},
                                    headers=tenant_admin(service)), 201)


def seats_allocated(service: Service) -> None:
    order = activated_order(service)
    enterprise = ok(service.client().post("/entitlements/v1/enterprises", json={"name": "苏州测试科技有限公司", "tax_id": TAX_ID},
                                          headers=tenant_admin(service)), 201)
    body = {"order_line_id": order["lines"][0]["id"], "enterprise_ids": [enterprise["id"]]}
    ok(service.client().post("/entitlements/v1/allocations", json=body, headers=tenant_admin(service)), 201)


def enterprise_moved(service: Service) -> None:
    """Tenant T's enterprise holds a seat; another tenant asks for the enterprise (ENT-8) and platform staff approve."""
    seats_allocated(service)
    known_tenant(service, NEW_TENANT)
    body = {"kind": "enterprise_move", "tax_id": TAX_ID, "reason": "企业所属租户有误"}
    request = ok(service.client().post("/entitlements/v1/change-requests", json=body, headers=tenant_admin(service, NEW_TENANT)), 201)
    review = {"decision": "approve", "comment": "核实无误"}
    ok(service.client().post(f"/entitlements/v1/change-requests/{request['id']}/review", json=review, headers=staff(service, "support")))


def line_ending_in(days: int) -> State:
    def ending(service: Service) -> None:
        known_tenant(service)
        seat_product(service)
        delivered_order(service, valid_to=(service.clock.today() + timedelta(days=days)).isoformat())
        service.run(send_expiry_reminders)

    return ending


def seat_granted(service: Service) -> None:
    activated_order(service)
    service.handle(authorized("req-granted"))


def seat_refused(service: Service) -> None:
    activated_order(service, quantity=1)
    service.handle(authorized("req-first"))
    service.handle(authorized("req-refused", OTHER_TAX_ID))


def seat_released(service: Service) -> None:
    activated_order(service)
    service.handle(authorized("req-held"))
    service.handle(license_event("licensing.license.cancelled.v1", "req-cancel"))


def marketplace_order_delivered(service: Service) -> None:
    """entitlements' worker handles a paid marketplace sale of seats for a known tenant."""
    known_tenant(service)
    seat_product(service)
    service.handle(new_event("marketplace", "marketplace.order.paid.v1", "m-order-1", {
        "order_id": "m-order-1", "order_no": "MO202601010001", "tenant_id": TENANT,
        "recipient": {"email": "an@reseller.test", "phone": None, "name": None, "language": None},
        "entitlement_lines": [{"product_code": SEAT_PRODUCT, "quantity": 2, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}],
    }, tenant_id=TENANT).to_dict())


def marketplace_order_activated(service: Service) -> None:
    marketplace_order_delivered(service)
    key = service.last_event("entitlements.order.delivered.v1")["data"]["operation_key"]
    body = {"operation_key": key, "erp": "galaxy", "deployment": "public_cloud"}
    ok(service.client().post("/entitlements/v1/orders/activate", json=body, headers=tenant_admin(service)))


STATES: dict[str, State] = {
    "a reseller's paid marketplace order was delivered to its customer's tenant": marketplace_order_delivered,
    "the customer's tenant activated the order delivered for a marketplace sale": marketplace_order_activated,
    "platform sales delivered an order with 3 invoice-issuing seats to a known tenant": order_delivered,
    "a tenant allocated an invoice-issuing seat to a new enterprise": seats_allocated,
    "an order line of a known tenant ends in 30 days": line_ending_in(30),
    "an order line of a known tenant ended yesterday": line_ending_in(-1),
    "tenant T has an activated order with 3 seats and licensing authorizes a tax ID": seat_granted,
    "tenant T has used its only seat and licensing authorizes another tax ID": seat_refused,
    "licensing cancels a tax ID that holds a seat of tenant T": seat_released,
    "platform staff approved moving an enterprise holding a seat to the tenant that asked for it": enterprise_moved,
}
