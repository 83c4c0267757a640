"""Test helpers that speak the marketplace's language: staff, resellers, solutions, customers, orders."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.marketplace.adapters.orm import platform
from services.marketplace.entrypoints.worker import SandboxCallbacks
from services.marketplace.service_layer.organisations import record_organisation
from services.marketplace.service_layer.payments import SANDBOX_PATH
from shared import links
from shared.envelope import new_event
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork
from shared.web import ServiceContext

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n" + b"0" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


def application_form(**overrides: Any) -> dict[str, Any]:
    form = {"company": "蓝云测试科技有限公司", "business_owner": "赵益康", "contact_name": "安可", "email": "an@reseller.test",
            "phone": "13653812334", "position": "经理", "address": "上海市虹口区"}
    form.update(overrides)
    return form


def files(*items: tuple[str, bytes]) -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(content), filename) for filename, content in items]


@dataclass
class Marketplace:
    app: Flask
    client: FlaskClient
    tokens: TokenFactory
    last_callbacks: list[int | None] = field(default_factory=list)

    @property
    def context(self) -> ServiceContext:
        return self.app.extensions["suite_context"]

    # ---- who calls ------------------------------------------------------------------------------
    def staff(self, *roles: str) -> dict[str, str]:
        return self.tokens.headers(sub="staff-1", org_id="platform", org_kind="platform", roles=roles or ("platform_admin",))

    def reseller(self, reseller_id: str = "reseller-a", user: str = "ra-admin", role: str = "reseller_admin",
                 email: str = "admin@a.test") -> dict[str, str]:
        return self.tokens.headers(sub=user, org_id=reseller_id, org_kind="reseller", roles=(role,), email=email)

    def dealer_user(self, dealer_org: str, user: str = "dealer-user") -> dict[str, str]:
        return self.tokens.headers(sub=user, org_id=dealer_org, org_kind="dealer", roles=("dealer_user",))

    # ---- identity's read-model events ------------------------------------------------------------
    def organisation_event(self, org_id: str, kind: str = "reseller", parent_id: str | None = None,
                           external_ref: str | None = None, name: str | None = None) -> None:
        event = new_event("identity", "identity.organisation.created.v1", org_id, {
            "org_id": org_id, "kind": kind, "name": name or f"Org {org_id}", "parent_id": parent_id, "status": "active",
            "contact_email": f"contact@{org_id}.test", "contact_phone": "13800000000", "external_ref": external_ref})
        self.handle(record_organisation, event)

    def handle(self, handler: Any, event: Any) -> None:
        with self.context.session_factory() as session:
            handler(UnitOfWork("marketplace", session, self.context.tables, self.context.clock), event)
            session.commit()

    def known_reseller(self, reseller_id: str = "reseller-a") -> str:
        self.organisation_event(reseller_id)
        return reseller_id

    # ---- catalog and sales ----------------------------------------------------------------------------
    def publish(self, name: str = "云备份方案", code: str = "SKU-A", price_minor: int = 10700, **extra: Any) -> dict[str, Any]:
        body = {"name": name, "category": extra.pop("category", "backup_migration"), "summary": extra.pop("summary", "云端备份与迁移"),
                "skus": extra.pop("skus", [{"code": code, "name": "基础版", "price_minor": price_minor, "currency": "CNY",
                                            "region": "中国大陆"}]), **extra}
        response = self.client.post("/marketplace/v1/solutions", json=body, headers=self.staff())
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def customer(self, headers: dict[str, str], tenant_id: str | None = "tenant-1", name: str = "王五") -> dict[str, Any]:
        if tenant_id is not None:
            self.organisation_event(tenant_id, kind="tenant")
        response = self.client.post("/marketplace/v1/customers", headers=headers, json={
            "name": name, "company": "甲公司", "email": "wang@customer.test", "phone": "13900000000", "tenant_id": tenant_id})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def checkout(self, headers: dict[str, str], customer_id: str, sku_code: str = "SKU-A", quantity: int = 1,
                 key: str | None = None, **extra: Any) -> Any:
        body = {"items": [{"sku_code": sku_code, "quantity": quantity}], "customer_id": customer_id,
                "payment_method": extra.pop("payment_method", "online"), "accept_contract": extra.pop("accept_contract", True),
                **extra}
        request_headers = {**headers, **({"Idempotency-Key": key} if key else {})}
        return self.client.post("/marketplace/v1/checkout", json=body, headers=request_headers)

    def issue_coupon(self, reseller_id: str, **terms: Any) -> dict[str, Any]:
        response = self.client.post("/marketplace/v1/coupons", headers=self.staff("sales"),
                                    json={"reseller_id": reseller_id, "amount_minor": 1000, **terms})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def pay_online(self, headers: dict[str, str], order_id: str, outcome: str = "success") -> Any:
        started = self.client.post(f"/marketplace/v1/orders/{order_id}/payments", headers=headers, json={"method": "online"})
        assert started.status_code == 201, started.get_json()
        return self.sandbox_pay(started.get_json(), outcome)

    def sandbox_pay(self, started: dict[str, Any], outcome: str = "success") -> Any:
        """The payer at the portal's payment page (`redirect_url`), which posts the outcome to the sandbox;
        then the worker's job delivers the signed callback."""
        assert started["redirect_url"] == links.payment_page("marketplace", started["payment_id"])
        page = self.client.post(SANDBOX_PATH.format(payment_id=started["payment_id"]), json={"outcome": outcome})
        self.last_callbacks = self.deliver_sandbox_callbacks()
        return page

    def deliver_sandbox_callbacks(self) -> list[int | None]:
        """What the worker's sandbox_callbacks job does: send each queued notice, signed; their statuses."""
        return SandboxCallbacks(self.context)(None)  # type: ignore[arg-type] # the job's own unit of work goes unused

    # ---- the outbox ---------------------------------------------------------------------------------
    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.context.session_factory() as session:
            rows = session.execute(select(platform.outbox.c.payload).where(platform.outbox.c.type == event_type)
                                   .order_by(platform.outbox.c.id)).scalars().all()
        return [json.loads(row)["data"] for row in rows]

    def audit_actions(self) -> list[str]:
        with self.context.session_factory() as session:
            return list(session.execute(select(platform.audit_log.c.action).order_by(platform.audit_log.c.id)).scalars())
