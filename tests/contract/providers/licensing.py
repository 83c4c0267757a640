"""licensing as a producer: the license saga's requests (authorize, cancel) to entitlements."""
from __future__ import annotations

from typing import Any

from sqlalchemy import update

from services.licensing.adapters.orm import licenses
from shared.envelope import new_event
from tests.contract.consumers import TAX_ID, TENANT
from tests.contract.harness import Service
from tests.contract.providers import State, ok

GROUP = "invoice_issuing"


def tenant_admin(service: Service) -> dict[str, str]:
    return service.headers(sub="admin-1", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",), username="admin@acme.test")


def seats_delivered(service: Service, quantity: int = 3) -> None:
    """licensing learnt the tenant's seat totals from entitlements' delivered order."""
    line = {"id": "line-1", "product_code": "INV-ISSUE", "product_name": "发票开具", "kind": "seat", "service_group": GROUP,
            "quantity": quantity, "valid_from": "2025-12-01", "valid_to": "2026-12-31", "serial_number": None}
    service.handle(new_event("entitlements", "entitlements.order.delivered.v1", "order-1", {
        "tenant_id": TENANT, "order_id": "order-1", "order_no": "ORD-2026-0001", "source": "sales", "lines": [line],
    }, tenant_id=TENANT).to_dict())


def enterprise_imported_without_seats(service: Service) -> None:
    client, headers = service.client(), tenant_admin(service)
    ok(client.put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False}, headers=headers))
    ok(client.post("/licensing/v1/enterprises/batch", json={"enterprises": [{"tax_id": TAX_ID, "name": "苏州测试科技有限公司"}]},
                   headers=headers))


def enterprise_imported(service: Service) -> None:
    enterprise_imported_without_seats(service)
    seats_delivered(service)


def authorized(service: Service) -> None:
    enterprise_imported(service)
    body = {"service_group": GROUP, "tax_ids": [TAX_ID]}
    ok(service.client().post("/licensing/v1/authorizations", json=body, headers=tenant_admin(service)))


def granted(service: Service) -> None:
    authorized(service)
    request = service.last_event("licensing.license.authorized.v1")["data"]
    service.handle(new_event("entitlements", "entitlements.seat.granted.v1", f"{TENANT}:{TAX_ID}:{GROUP}", {
        "tenant_id": TENANT, "request_id": request["request_id"], "tax_id": TAX_ID, "service_group": GROUP,
        "order_line_id": "line-1", "serial_number": None, "valid_from": "2025-12-01", "valid_to": "2026-12-31",
    }, tenant_id=TENANT).to_dict())


def cancelled(service: Service) -> None:
    granted(service)
    body = {"service_group": GROUP, "tax_ids": [TAX_ID]}
    ok(service.client().post("/licensing/v1/cancellations", json=body, headers=tenant_admin(service)))


def awaiting_answer(service: Service, request_id: str, then: State = authorized) -> None:
    """A license whose current request (authorization or cancellation) carries `request_id`."""
    then(service)
    with service.context.session_factory() as session:
        session.execute(update(licenses).where(licenses.c.tenant_id == TENANT, licenses.c.tax_id == TAX_ID)
                        .values(request_id=request_id))
        session.commit()


def license_of(service: Service) -> Any:
    with service.context.session_factory() as session:
        return session.execute(licenses.select().where(licenses.c.tenant_id == TENANT, licenses.c.tax_id == TAX_ID)).first()


STATES: dict[str, State] = {
    "a tenant admin authorized an imported enterprise for invoice issuing": authorized,
    "a tenant admin cancelled the invoice-issuing authorization of an enterprise holding a seat": cancelled,
}
