"""The HTTP providers' states, and the local server the pact verifier replays requests against.

A replayed request carries the examples the consumer wrote into the pact; what an example cannot be
is filled in by the state's `Replay`: a fresh access token of the principal the state signed in (the
pact pins only that a bearer token is sent), and for the sandbox callbacks the payment the state
started (its id) with the signature over the rewritten body (the pact pins the signature's form).
"""
from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server

from services.marketplace.adapters.sandbox_provider import signature_headers
from shared.envelope import new_event
from shared.testkit import free_port
from tests.contract.consumers.http import EXAMPLE_ORDER_NO, EXAMPLE_TENANT_ID
from tests.contract.harness import MARKETPLACE_PAYMENT_SECRET, Service
from tests.contract.providers import billing, entitlements, identity, licensing, marketplace


@dataclass
class Replay:
    headers: dict[str, str] = field(default_factory=dict)
    body: Callable[[bytes], tuple[bytes, dict[str, str]]] | None = None
    # Example values in the path or the query string the state made real (an id, an order number).
    substitute: dict[str, str] = field(default_factory=dict)


HttpState = Callable[[Service], Replay]


class ProviderServer:
    """A provider's real app served on a free local port; each provider state installs a fresh app and its replay."""

    def __init__(self) -> None:
        self.app: Any = None
        self.replay = Replay()
        self.port = free_port()
        self._server = make_server("127.0.0.1", self.port, self, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="pact-provider", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        for example, real in self.replay.substitute.items():
            for part in ("PATH_INFO", "QUERY_STRING"):
                environ[part] = environ.get(part, "").replace(example, real)
        for name, value in self.replay.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        if self.replay.body is not None:
            body, headers = self.replay.body(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
            for name, value in headers.items():
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        return self.app(environ, start_response)


def signed_in(headers: dict[str, str]) -> Replay:
    return Replay(headers={"Authorization": headers["Authorization"]})


def up(service: Service) -> Replay:
    return Replay()


def platform_staff(service: Service, role: str) -> Replay:
    return signed_in(service.headers(sub=f"{role}-1", org_id="platform", org_kind="platform", roles=(role,)))


def tenant_with_delivered_order(service: Service) -> Replay:
    entitlements.order_delivered(service)
    return signed_in(entitlements.tenant_admin(service))


def tenant_admin_signed_in(service: Service) -> Replay:
    entitlements.known_tenant(service)
    return signed_in(entitlements.tenant_admin(service))


def tax_id_held_by_another_tenant(service: Service) -> Replay:
    entitlements.known_tenant(service)
    entitlements.known_tenant(service, entitlements.NEW_TENANT)
    added = service.client().post("/entitlements/v1/enterprises", json={"name": "杭州示例网络有限公司", "tax_id": "91330100716105852F"},
                                  headers=entitlements.tenant_admin(service, entitlements.NEW_TENANT))
    assert added.status_code == 201, added.get_data(as_text=True)
    return signed_in(entitlements.tenant_admin(service))


def order_awaiting_activation(service: Service) -> Replay:
    """A delivered order; the replayed request carries the key its activation mail carried."""
    entitlements.order_delivered(service)
    key = service.last_event("entitlements.order.delivered.v1")["data"]["operation_key"]

    def with_mailed_key(body: bytes) -> tuple[bytes, dict[str, str]]:
        return json.dumps({**json.loads(body), "operation_key": key}).encode(), {}

    return Replay(headers=signed_in(entitlements.tenant_admin(service)).headers, body=with_mailed_key)


def support_finds_a_delivered_order(service: Service) -> Replay:
    entitlements.order_delivered(service)
    order_no = service.last_event("entitlements.order.delivered.v1")["data"]["order_no"]
    return Replay(headers=platform_staff(service, "support").headers, substitute={EXAMPLE_ORDER_NO: order_no})


def tenant_with_enterprise(service: Service) -> Replay:
    entitlements.enterprise_added(service)
    return signed_in(entitlements.tenant_admin(service))


def staff_and_a_tenant(service: Service) -> Replay:
    tenant = identity.create_tenant(service)
    return Replay(headers=identity.platform_admin(service), substitute={EXAMPLE_TENANT_ID: tenant["id"]})


def erp_with_imported_enterprise(service: Service) -> Replay:
    licensing.enterprise_imported(service)
    return signed_in(licensing.tenant_admin(service))


def company_with_device(service: Service) -> Replay:
    billing.company_wanting_notices(service)
    billing.device_with_package(service)
    return platform_staff(service, "support")


def solution_published(service: Service) -> Replay:
    marketplace.published_solution(service)
    return Replay()


def mail_queued(service: Service) -> Replay:
    service.handle(new_event("identity", "identity.tenant.created.v1", "tenant-1", {
        "tenant_id": "tenant-1", "name": "苏州测试科技有限公司", "contact_email": "admin@acme.test", "contact_phone": "13800138000",
        "status": "active", "created_at": "2026-01-01T00:00:00Z", "portal_url": "https://portal.suite.test",
        "admin": {"user_id": "user-1", "username": "admin@acme.test"}, "initial_password": "Init-Pa55-Xq7!",
        "recipient": {"email": "admin@acme.test", "phone": "13800138000", "name": "张三", "language": "zh-CN"},
    }, tenant_id="tenant-1").to_dict())
    return platform_staff(service, "support")


def billing_payment_awaited(service: Service) -> Replay:
    payment_id = billing.awaiting_wechat_payment(service)
    sandbox = service.context.extras["payment_provider"]

    def resigned(body: bytes) -> tuple[bytes, dict[str, str]]:
        notice = {**json.loads(body), "payment_id": payment_id}
        signed = json.dumps(notice, separators=(",", ":")).encode()
        return signed, sandbox.signature_headers(signed, service.clock.now())

    return Replay(body=resigned)


def marketplace_payment_awaited(service: Service) -> Replay:
    payment_id = marketplace.awaiting_online_payment(service)["payment_id"]

    def resigned(body: bytes) -> tuple[bytes, dict[str, str]]:
        signed = json.dumps({**json.loads(body), "payment_id": payment_id}, sort_keys=True).encode()
        return signed, signature_headers(signed, MARKETPLACE_PAYMENT_SECRET, service.clock.now())

    return Replay(body=resigned)


HTTP_STATES: dict[str, dict[str, HttpState]] = {
    "identity": {
        "identity is up": up,
        "the platform admin's account exists": up,
        "a platform admin is signed in": lambda service: platform_staff(service, "platform_admin"),
        "a platform admin is signed in and a tenant exists": staff_and_a_tenant,
        "identity has an active signing key": up,
    },
    "entitlements": {
        "entitlements is up": up,
        "a tenant admin is signed in and the tenant has a delivered order": tenant_with_delivered_order,
        "a tenant admin is signed in and an order awaits activation with its mailed key": order_awaiting_activation,
        "a tenant admin is signed in": tenant_admin_signed_in,
        "a tenant admin is signed in and another tenant holds a tax ID": tax_id_held_by_another_tenant,
        "support staff is signed in and a tenant has a delivered order": support_finds_a_delivered_order,
        "a tenant admin is signed in and the tenant has an enterprise": tenant_with_enterprise,
        "support staff is signed in": lambda service: platform_staff(service, "support"),
    },
    "licensing": {
        "licensing is up": up,
        "a tenant admin is signed in and the tenant's ERP has an imported enterprise": erp_with_imported_enterprise,
    },
    "billing": {
        "billing is up": up,
        "support staff is signed in and a company has a device": company_with_device,
        "support staff is signed in": lambda service: platform_staff(service, "support"),
        "a company's renewal order of 6000 CNY awaits a WeChat payment": billing_payment_awaited,
    },
    "marketplace": {
        "marketplace is up": up,
        "a solution is published": solution_published,
        "a reseller's order of 10700 CNY awaits an online payment": marketplace_payment_awaited,
    },
    "notifier": {
        "notifier is up": up,
        "support staff is signed in and a mail was queued": mail_queued,
    },
}
