"""What each HTTP consumer expects of a provider: the gateway of every service, the token verifier of
identity's keys, the sandbox payment providers of the billing and marketplace callbacks, and the web
app (the portal) of the API its pages call.

A request body or header is written with tests/contract/matchers.py's vocabulary; the consumer test
sends the example, the provider verification replays it (see providers/http.py for what a replay
fills in: a fresh token, ids and signatures made in the provider state).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.contract.harness import PLATFORM_ADMIN
from tests.contract.matchers import each, exactly, one_of, pattern

EXAMPLE_TOKEN = "Bearer eyJhbGciOiJFZERTQSIsImtpZCI6ImV4YW1wbGUifQ.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJl"
BEARER = pattern(EXAMPLE_TOKEN, r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
# What the gateway adds to every request it forwards.
FORWARDED = {"X-Request-ID": pattern("5d41402abc4b2a76b9719d911017c592", r"^\S{1,128}$"),
             "traceparent": pattern("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                    r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")}
PROBLEM = {"type": "https://errors.suite.example/not_found", "title": "Not Found", "status": exactly(404),
           "detail": "no such thing", "code": exactly("not_found")}


# Examples a provider state makes real (tests/contract/providers/http.py's Replay.substitute).
EXAMPLE_ORDER_NO = "EO20260101A1B2C3D4"
EXAMPLE_TENANT_ID = "3f6c2a1e-9b7d-4e5f-8a1b-2c3d4e5f6a7b"
UNKNOWN_PARAMETER = {"type": "https://errors.suite.example/validation_failed", "title": "Unprocessable Content",
                     "status": exactly(422), "detail": "request validation failed", "code": exactly("validation_failed"),
                     "errors": {"q": each("Unknown field.")}}


def page_of(item: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"items": each(item), "total": 1, "page": 1, "page_size": 20, **more}


@dataclass(frozen=True)
class HttpExpectation:
    consumer: str
    provider: str
    description: str
    state: str
    method: str
    path: str
    status: int
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    response_headers: dict[str, Any] = field(default_factory=dict)
    response: Any = None
    signed_in: bool = False

    @property
    def request_headers(self) -> dict[str, Any]:
        return {**self.headers, **({"Authorization": BEARER} if self.signed_in else {})}


def gateway(provider: str, description: str, state: str, method: str, path: str, status: int = 200, **more: Any) -> HttpExpectation:
    """A client's request the gateway forwards unchanged, with its request id and trace context."""
    return HttpExpectation("gateway", provider, description, state, method, path, status,
                           headers={**FORWARDED, **more.pop("headers", {})}, **more)


def gateway_probes(provider: str, path: str) -> list[HttpExpectation]:
    """What the gateway asks of every service for itself: readiness (`/readyz`) and its OpenAPI document."""
    return [
        HttpExpectation("gateway", provider, f"the gateway asks whether {provider} is ready", f"{provider} is up", "GET", "/readyz", 200,
                        response={"status": exactly("ready"), "service": exactly(provider)}),
        HttpExpectation("gateway", provider, f"the gateway merges {provider}'s OpenAPI document", f"{provider} is up", "GET",
                        "/openapi.json", 200, response={"openapi": pattern("3.0.3", r"^3\.\d+\.\d+$"), "info": {"title": "API"},
                                                        "paths": {path: {}}}),
    ]


GATEWAY: list[HttpExpectation] = [
    *gateway_probes("identity", "/identity/v1/auth/login"),
    gateway("identity", "a user logs in", "the platform admin's account exists", "POST", "/identity/v1/auth/login",
            body={"username": PLATFORM_ADMIN[0], "password": PLATFORM_ADMIN[1]},
            response={"access_token": "eyJ.eyJ.sig", "refresh_token": "r1", "expires_in": 900, "must_change_password": False}),
    gateway("identity", "a platform admin asks for an unknown tenant", "a platform admin is signed in", "GET",
            "/identity/v1/tenants/no-such-tenant", 404, signed_in=True,
            response_headers={"Content-Type": exactly("application/problem+json")}, response=PROBLEM),
    gateway("identity", "platform staff search tenants by part of the name", "a platform admin is signed in and a tenant exists", "GET",
            "/identity/v1/tenants", query={"q": "测试科技"}, signed_in=True,
            response=page_of({"id": "tenant-1", "name": "苏州测试科技有限公司", "contact_email": "boss@tenant.test", "status": "active",
                              "admins": each({"username": "boss@tenant.test", "status": "invited", "enabled": True,
                                              "last_login_at": None})})),  # never signed in yet
    gateway("identity", "a tenant admin lists the tenant's admins, a page with each admin's state and last sign-in",
            "a platform admin is signed in and a tenant exists", "GET", f"/identity/v1/tenants/{EXAMPLE_TENANT_ID}/admins",
            signed_in=True, response=page_of({"id": "user-1", "username": "boss@tenant.test", "status": "invited", "enabled": True,
                                              "last_login_at": None})),  # the first admin, who has not signed in yet
    *gateway_probes("entitlements", "/entitlements/v1/orders"),
    gateway("entitlements", "support staff find an order by its number across tenants",
            "support staff is signed in and a tenant has a delivered order", "GET", "/entitlements/v1/orders",
            query={"order_no": EXAMPLE_ORDER_NO}, signed_in=True,
            response=page_of({"id": "order-1", "order_no": pattern(EXAMPLE_ORDER_NO, r"^EO\d{8}[0-9A-F]{8}$"), "tenant_id": "tenant-1",
                              "status": "delivered"})),
    gateway("entitlements", "a tenant admin searches the enterprises by part of the name or tax ID",
            "a tenant admin is signed in and the tenant has an enterprise", "GET", "/entitlements/v1/enterprises",
            query={"q": "测试"}, signed_in=True,
            response=page_of({"id": "enterprise-1", "name": "苏州测试科技有限公司", "tax_id": "91330100716105852F"})),
    gateway("entitlements", "a list refuses a query parameter it does not know",
            "a tenant admin is signed in and the tenant has a delivered order", "GET", "/entitlements/v1/orders", 422,
            query={"q": "EO2026"}, signed_in=True,
            response_headers={"Content-Type": exactly("application/problem+json")}, response=UNKNOWN_PARAMETER),
    gateway("entitlements", "a tenant admin lists the tenant's orders", "a tenant admin is signed in and the tenant has a delivered order",
            "GET", "/entitlements/v1/orders", signed_in=True,
            response=page_of({"id": "order-1", "order_no": "ORD-2026-0001", "status": "delivered", "tenant_id": "tenant-1"})),
    *gateway_probes("licensing", "/licensing/v1/enterprises"),
    gateway("licensing", "a tenant admin lists the enterprises of a service group",
            "a tenant admin is signed in and the tenant's ERP has an imported enterprise", "GET", "/licensing/v1/enterprises",
            query={"service_group": "invoice_issuing"}, signed_in=True,
            response=page_of({"tax_id": "91330100716105852F"}, authorized=0, licensed=3)),  # A/AA beside the rows' total
    *gateway_probes("billing", "/billing/v1/devices"),
    gateway("billing", "support staff lists devices", "support staff is signed in and a company has a device", "GET",
            "/billing/v1/devices", signed_in=True, response=page_of({"device_id": "POS-0001", "company_id": "company-acme",
                                                                      "expires_on": pattern("2026-02-01", r"^\d{4}-\d{2}-\d{2}$")})),
    gateway("billing", "support staff asks for an unknown device", "support staff is signed in", "GET", "/billing/v1/devices/NO-SUCH",
            404, signed_in=True, response_headers={"Content-Type": exactly("application/problem+json")}, response=PROBLEM),
    *gateway_probes("marketplace", "/marketplace/v1/solutions"),
    gateway("marketplace", "a visitor searches the published solutions", "a solution is published", "GET", "/marketplace/v1/solutions",
            response=page_of({"id": "solution-1", "name": "智能票据识别"})),
    *gateway_probes("notifier", "/notifier/v1/messages"),
    gateway("notifier", "support staff lists the message log", "support staff is signed in and a mail was queued", "GET",
            "/notifier/v1/messages", signed_in=True,
            response=page_of({"id": "message-1", "event_type": "identity.tenant.created.v1", "channel": one_of("mail", "sms"),
                              "status": "queued"})),
]

TOKEN_VERIFIER: list[HttpExpectation] = [
    HttpExpectation("token-verifier", "identity", "the public keys that sign access tokens", "identity has an active signing key",
                    "GET", "/identity/v1/.well-known/jwks.json", 200,
                    response={"keys": each({"kty": exactly("OKP"), "crv": exactly("Ed25519"), "alg": exactly("EdDSA"),
                                            "use": exactly("sig"), "kid": "key-1", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})}),
]

SANDBOX_CALLBACKS: list[HttpExpectation] = [
    HttpExpectation("billing-sandbox", "billing", "the sandbox reports a WeChat payment's success",
                    "a company's renewal order of 6000 CNY awaits a WeChat payment", "POST", "/billing/v1/payments/callback", 200,
                    headers={"Content-Type": exactly("application/json"), "X-Sandbox-Timestamp": pattern("1767225600", r"^\d+$"),
                             "X-Sandbox-Signature": pattern("v1=" + "0" * 64, r"^v1=[0-9a-f]{64}$")},
                    body={"payment_id": "payment-1", "outcome": one_of("success", "failure"), "amount_minor": 6000,
                          "currency": "CNY", "provider_ref": pattern("SBX-0A1B2C3D4E5F", r"^SBX-[0-9A-F]{12}$")}),
    HttpExpectation("marketplace-sandbox", "marketplace", "the sandbox reports an online payment's success",
                    "a reseller's order of 10700 CNY awaits an online payment", "POST", "/marketplace/v1/payments/sandbox-callback", 200,
                    headers={"Content-Type": exactly("application/json"), "X-Sandbox-Timestamp": pattern("1767225600", r"^\d+$"),
                             "X-Sandbox-Signature": pattern("v1=" + "0" * 64, r"^v1=[0-9a-f]{64}$")},
                    body={"payment_id": "payment-1", "outcome": one_of("success", "failure"), "amount_minor": 10700,
                          "currency": "CNY", "provider_ref": pattern("SBX0A1B2C3D4E5F6A7B", r"^SBX[0-9A-F]{16}$")}),
]


# The web app (the portal) calls the public API through the gateway, which forwards it unchanged, so
# its pacts name the services as providers. Only what the portal's pages read is pinned.
TAX_ID = "91330100716105852F"
TENANT_ADMIN_SIGNED_IN = "a tenant admin is signed in"
WEB: list[HttpExpectation] = [
    HttpExpectation("web", "identity", "the portal signs a user in (登录)", "the platform admin's account exists", "POST",
                    "/identity/v1/auth/login", 200, body={"username": PLATFORM_ADMIN[0], "password": exactly(PLATFORM_ADMIN[1])},
                    response={"access_token": pattern("eyJ.eyJ.sig", r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$"),
                              "refresh_token": "r1", "expires_in": 900, "must_change_password": False}),
    HttpExpectation("web", "identity", "the portal signs in with a wrong password", "the platform admin's account exists", "POST",
                    "/identity/v1/auth/login", 401, body={"username": PLATFORM_ADMIN[0], "password": exactly("not-the-password")},
                    response_headers={"Content-Type": exactly("application/problem+json")},
                    response={"status": exactly(401), "code": exactly("invalid_credentials")}),
    HttpExpectation("web", "entitlements", "the portal lists the tenant's orders (订单激活)",
                    "a tenant admin is signed in and the tenant has a delivered order", "GET", "/entitlements/v1/orders", 200,
                    query={"page": "1", "page_size": "20"}, signed_in=True,
                    response=page_of({"id": "order-1", "order_no": "ORD-2026-0001", "status": one_of("delivered", "activated"),
                                      "created_at": pattern("2026-01-01T00:00:00Z", r"^\d{4}-\d{2}-\d{2}T.*Z$")})),
    HttpExpectation("web", "entitlements", "the portal activates an order with the mailed operation key",
                    "a tenant admin is signed in and an order awaits activation with its mailed key", "POST",
                    "/entitlements/v1/orders/activate", 200, signed_in=True,
                    body={"operation_key": "KEY-FROM-THE-MAIL", "erp": one_of("cosmic", "galaxy", "eas", "other", example="galaxy"),
                          "deployment": one_of("public_cloud", "private_cloud", "on_premises", example="public_cloud")},
                    response={"id": "order-1", "order_no": "ORD-2026-0001", "status": exactly("activated"), "erp": "galaxy",
                              "deployment": "public_cloud",
                              "lines": each({"id": "line-1", "kind": one_of("seat", "traffic"), "quantity": 3, "product_code": "INV-ISSUE",
                                             "valid_from": pattern("2025-12-01", r"^\d{4}-\d{2}-\d{2}$"),
                                             "valid_to": pattern("2026-12-31", r"^\d{4}-\d{2}-\d{2}$")})}),
    HttpExpectation("web", "entitlements", "the portal looks up, while it is typed, a tax ID another tenant holds (新增企业)",
                    "a tenant admin is signed in and another tenant holds a tax ID", "GET", f"/entitlements/v1/registrations/{TAX_ID}", 200,
                    signed_in=True, response={"tax_id": exactly(TAX_ID), "registration": {"registered_name": "杭州示例网络有限公司"},
                                              "bound": one_of("own", "other", example="other"),
                                              "tenant_name": pattern("苏州XXXX有限公司", r"^.*XXXX.*$")}),
    HttpExpectation("web", "entitlements", "the portal adds an enterprise with a mistyped check character", TENANT_ADMIN_SIGNED_IN,
                    "POST", "/entitlements/v1/enterprises", 422, signed_in=True,
                    body={"name": "杭州示例网络有限公司", "tax_id": exactly(TAX_ID[:17] + "G")},
                    response_headers={"Content-Type": exactly("application/problem+json")},
                    response={"code": exactly("validation_failed"),
                              "errors": {"tax_id": each("the check character (GB 32100-2015) is wrong")}}),
    HttpExpectation("web", "entitlements", "the portal adds an enterprise (新增企业)", TENANT_ADMIN_SIGNED_IN, "POST",
                    "/entitlements/v1/enterprises", 201, signed_in=True, body={"name": "杭州示例网络有限公司", "tax_id": exactly(TAX_ID)},
                    response={"id": "enterprise-1", "name": "杭州示例网络有限公司", "tax_id": exactly(TAX_ID)}),
    HttpExpectation("web", "entitlements", "the portal draws the tenant dashboard (租户权益看板)",
                    "a tenant admin is signed in and the tenant has a delivered order", "GET", "/entitlements/v1/dashboard", 200,
                    signed_in=True,
                    response={"tenant": {"id": pattern("tenant-1", r"^\S+$"), "name": "苏州测试科技有限公司"},
                              "unallocated_orders": {"total": 1, "items": each({"id": "order-1", "order_no": "ORD-2026-0001"})},
                              "expiring": {window: {"total": 0} for window in ("30", "60", "90", "expired")},
                              "products": each({"product_code": "INV-ISSUE", "quantity": 3, "allocated": 0, "enterprises": {"total": 0}},
                                               min=0),
                              "traffic": each({"product_code": "OCR", "balance": 1, "purchased": 1, "consumed": 0,
                                               "deduction_rule": {"units_per_use": 1}}, min=0)}),
    HttpExpectation("web", "entitlements", "support staff look an order up by a number no order has", "support staff is signed in",
                    "GET", "/entitlements/v1/orders", 200, query={"order_no": "EO-NO-SUCH-ORDER", "page_size": "1"}, signed_in=True,
                    response={"items": exactly([]), "total": exactly(0)}),
    HttpExpectation("web", "licensing", "the portal lists the service groups with (A/AA) (许可授权)",
                    "a tenant admin is signed in and the tenant's ERP has an imported enterprise", "GET", "/licensing/v1/service-groups",
                    200, signed_in=True,
                    response={"items": each({"service_group": one_of("invoice_issuing", "invoice_receiving"), "authorized": 0,
                                             "serial_number_required": False})}),
    HttpExpectation("web", "licensing", "the portal lists the enterprises' licenses of a service group (许可授权)",
                    "a tenant admin is signed in and the tenant's ERP has an imported enterprise", "GET", "/licensing/v1/enterprises",
                    200, query={"service_group": "invoice_issuing", "page": "1", "page_size": "20"}, signed_in=True,
                    response={"items": each({"tax_id": pattern(TAX_ID, r"^[0-9A-Z]{15,20}$"), "name": "苏州测试科技有限公司",
                                             "authorization_status": one_of("unauthorized", "authorized", "failed", example="unauthorized"),
                                             "sync_pending": False}),
                              "service_group": exactly("invoice_issuing"), "authorized": 0, "total": 1, "page": 1, "page_size": 20}),
]


def all_http_expectations() -> list[HttpExpectation]:
    return [*GATEWAY, *TOKEN_VERIFIER, *SANDBOX_CALLBACKS, *WEB]
