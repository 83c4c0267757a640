"""Test driver: the API as platform staff and tenant admins use it, plus a look into the outbox and the database."""
from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.entitlements.adapters.orm import platform
from services.entitlements.service_layer import tenants
from shared.envelope import new_event
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork
from shared.web import ServiceContext

USCC = ("91330100716105852F", "9144030071526726XG", "91110000802100433B")


class Portal:
    def __init__(self, app: Flask, client: FlaskClient, tokens: TokenFactory) -> None:
        self.app = app
        self.client = client
        self.tokens = tokens

    @property
    def context(self) -> ServiceContext:
        return self.app.extensions["suite_context"]

    # ---- who calls ----------------------------------------------------------------------------------
    def staff(self, role: str = "sales") -> dict[str, str]:
        return self.tokens.headers(sub=f"staff-{role}", org_id="platform", org_kind="platform", roles=(role,))

    def admin(self, tenant_id: str) -> dict[str, str]:
        return self.tokens.headers(sub=f"admin-{tenant_id}", org_id=tenant_id, org_kind="tenant", roles=("tenant_admin",))

    def api_client(self, tenant_id: str, tax_id: str) -> dict[str, str]:
        return self.tokens.headers(sub=f"client-{tax_id}", org_id=tenant_id, org_kind="tenant", roles=("api_client",),
                                   kind="client", tax_id=tax_id)

    def service(self, name: str = "notifier") -> dict[str, str]:
        """A platform service's token (as identity issues for SUITE_SERVICE_CLIENTS)."""
        return self.tokens.headers(sub=f"service:{name}", org_id="platform-1", org_kind="platform", roles=("service",),
                                   kind="client")

    # ---- the database behind --------------------------------------------------------------------------
    def run(self, handler: Any, *args: Any) -> Any:
        """Runs a service-layer handler in its own committed unit of work (as the worker does)."""
        session = self.context.session_factory()
        try:
            result = handler(UnitOfWork("entitlements", session, self.context.tables, self.context.clock), *args)
            session.commit()
            return result
        finally:
            session.close()

    def tenant_known(self, tenant_id: str, name: str = "苏州工业园区示例科技有限公司", email: str | None = None) -> None:
        event = new_event("identity", "identity.tenant.created.v1", tenant_id, {
            "tenant_id": tenant_id, "name": name, "contact_email": email or f"{tenant_id}@example.test",
            "contact_phone": "13800000000", "status": "active", "created_at": "2026-01-01T00:00:00Z",
            "admin": {"user_id": f"admin-{tenant_id}", "username": email or f"{tenant_id}@example.test"},
            "recipient": {"email": email or f"{tenant_id}@example.test", "language": "zh-CN"},
        })
        self.run(tenants.on_tenant_created, event)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.context.session_factory() as session:
            rows = session.execute(select(platform.outbox.c.payload).where(platform.outbox.c.type == event_type)
                                   .order_by(platform.outbox.c.id)).scalars()
            return [json.loads(row)["data"] for row in rows]

    def count(self, table: Any) -> int:
        with self.context.session_factory() as session:
            return session.execute(select(func.count()).select_from(table)).scalar_one()

    # ---- the API ----------------------------------------------------------------------------------------
    def product(self, code: str, kind: str = "seat", service_group: str | None = "invoice_issuing", **extra: Any) -> dict:
        body = {"code": code, "name": f"产品 {code}", "kind": kind, **extra}
        if kind == "seat":
            body["service_group"] = service_group
        response = self.client.post("/entitlements/v1/products", json=body, headers=self.staff("platform_admin"))
        assert response.status_code == 201, response.json
        return response.json

    def deliver(self, tenant_id: str, *lines: dict[str, Any]) -> dict:
        body = {"tenant_id": tenant_id, "lines": [
            {"valid_from": "2025-12-01", "valid_to": "2026-12-31", **line} for line in lines
        ]}
        response = self.client.post("/entitlements/v1/orders", json=body, headers=self.staff())
        assert response.status_code == 201, response.json
        return response.json

    def operation_key(self, order_id: str) -> str:
        return [e for e in self.events("entitlements.order.delivered.v1") if e["order_id"] == order_id][-1]["operation_key"]

    def activate(self, tenant_id: str, order: dict) -> dict:
        response = self.client.post("/entitlements/v1/orders/activate", headers=self.admin(tenant_id), json={
            "operation_key": self.operation_key(order["id"]), "erp": "galaxy", "deployment": "public_cloud"})
        assert response.status_code == 200, response.json
        return response.json

    def enterprise(self, tenant_id: str, tax_id: str, name: str = "示例企业有限公司") -> dict:
        response = self.client.post("/entitlements/v1/enterprises", json={"name": name, "tax_id": tax_id},
                                    headers=self.admin(tenant_id))
        assert response.status_code == 201, response.json
        return response.json

    def activated_order(self, tenant_id: str, *lines: dict[str, Any]) -> dict:
        order = self.deliver(tenant_id, *lines)
        return self.activate(tenant_id, order)

    def allocate(self, tenant_id: str, line_id: str, enterprise_ids: list[str]) -> Any:
        return self.client.post("/entitlements/v1/allocations", json={"order_line_id": line_id, "enterprise_ids": enterprise_ids},
                                headers=self.admin(tenant_id))

    def use(self, headers: dict[str, str], product_code: str, tax_id: str, units: int, key: str | None = None,
            reference: str | None = None) -> Any:
        headers = {**headers, **({"Idempotency-Key": key} if key else {})}
        return self.client.post("/entitlements/v1/usage", headers=headers, json={
            "product_code": product_code, "tax_id": tax_id, "units": units, "reference": reference})
