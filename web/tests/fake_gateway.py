"""A stand-in for the gateway's public API, faked at the HTTP boundary.

`FakeGateway` is a small Flask app answering the calls the web app makes, as the real services answer
them (status, problem+json `code`, `errors`); `WsgiTransport` is a `requests` adapter that hands the
web app's HTTP requests to it, so the web app's own client code (web/gateway_client.py) runs unchanged.
Every call is recorded in `calls` for the tests to inspect.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from flask import Flask, Response, jsonify, request
from requests.adapters import BaseAdapter
from werkzeug.test import Client

PASSWORD = "Initial-Passw0rd!"
NEW_PASSWORD = "Brand-New-Passw0rd!"
TENANT = "t-1"
SIGNING_KEY = "fake-gateway-signing-key-of-32-bytes!"  # the fake's tokens; the web app never verifies them


def problem(status: int, code: str, detail: str = "", **extra: Any) -> Response:
    response = jsonify({"type": "about:blank", "title": code, "status": status, "detail": detail, "code": code, **extra})
    response.status_code = status
    response.mimetype = "application/problem+json"
    if "retry_after" in extra:
        response.headers["Retry-After"] = str(extra["retry_after"])
    return response


@dataclass
class FakeState:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> username
    used_refresh: set[str] = field(default_factory=set)
    access_seconds: int = 900
    counter: int = 0
    login_refusal: tuple[int, str, dict[str, Any]] | None = None
    sms_code: str = "123456"
    invitations: dict[str, str] = field(default_factory=dict)  # token -> username
    calls: list[tuple[str, str, dict[str, Any] | None, str | None]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def tokens(self, username: str) -> dict[str, Any]:
        user = self.users[username]
        self.counter += 1
        claims = {"sub": user["id"], "org_id": user["org_id"], "org_kind": "tenant", "roles": user["roles"],
                  "exp": int(time.time()) + self.access_seconds, "jti": str(self.counter)}
        if user["must_change"]:
            claims["pwd_change"] = True
        refresh = f"refresh-{self.counter}"
        self.refresh_tokens[refresh] = username
        return {"access_token": jwt.encode(claims, SIGNING_KEY, algorithm="HS256"), "refresh_token": refresh,
                "expires_in": self.access_seconds, "must_change_password": user["must_change"], "token_type": "Bearer"}

    def caller(self) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(header[7:], SIGNING_KEY, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            return {"expired": True}
        except jwt.PyJWTError:
            return None
        return claims


def fake_gateway(state: FakeState) -> Flask:
    app = Flask("fake-gateway")

    @app.before_request
    def record() -> None:
        state.calls.append((request.method, request.path, request.get_json(silent=True), request.headers.get("Authorization")))
        state.extra.setdefault("traceparents", []).append(request.headers.get("traceparent"))
        state.extra.setdefault("forwarded_for", []).append(request.headers.get("X-Forwarded-For"))

    def authorized(allow_password_change: bool = False) -> dict[str, Any] | Response:
        claims = state.caller()
        if claims is None:
            return problem(401, "invalid_token", "no valid token")
        if claims.get("expired"):
            return problem(401, "token_expired", "the bearer token has expired")
        if claims.get("pwd_change") and not allow_password_change:
            return problem(403, "password_change_required", "change the initial password first")
        return claims

    @app.post("/identity/v1/auth/login")
    def login() -> Response:
        body = request.get_json()
        if state.login_refusal:
            status, code, extra = state.login_refusal
            return problem(status, code, **extra)
        user = state.users.get(body["username"])
        if not user or user["password"] != body["password"]:
            return problem(401, "invalid_credentials", "the username or password is wrong")
        return jsonify(state.tokens(body["username"]))

    @app.post("/identity/v1/auth/refresh")
    def refresh() -> Response:
        token = request.get_json()["refresh_token"]
        if token in state.used_refresh:
            return problem(401, "refresh_token_reused", "reused")
        username = state.refresh_tokens.pop(token, None)
        if username is None:
            return problem(401, "invalid_refresh_token", "not valid")
        state.used_refresh.add(token)
        return jsonify(state.tokens(username))

    @app.post("/identity/v1/auth/logout")
    def logout() -> Response:
        state.refresh_tokens.pop(request.get_json()["refresh_token"], None)
        return Response(status=204)

    @app.post("/identity/v1/auth/sms-codes")
    def sms_codes() -> Response:
        claims = authorized(allow_password_change=True)
        if isinstance(claims, Response):
            return claims
        if state.extra.get("sms_rate_limited"):
            return problem(429, "sms_code_rate_limited", "wait", retry_after=42)
        return jsonify({"sent_to": "138****0000", "expires_at": "2026-01-01T00:05:00Z"}), 201

    @app.post("/identity/v1/auth/password")
    def password() -> Response:
        claims = authorized(allow_password_change=True)
        if isinstance(claims, Response):
            return claims
        body = request.get_json()
        username = next(name for name, u in state.users.items() if u["id"] == claims["sub"])
        user = state.users[username]
        if body["old_password"] != user["password"]:
            return problem(422, "invalid_old_password", "wrong", errors={"old_password": ["is wrong"]})
        if body["sms_code"] != state.sms_code:
            return problem(422, "invalid_sms_code", "wrong", errors={"sms_code": ["is wrong or expired"]})
        if body["new_password"].lower() == body["new_password"]:
            return problem(422, "validation_failed", "policy", errors={"new_password": [
                "must mix at least three of: lower case, upper case, digits, other characters"]})
        user["password"], user["must_change"] = body["new_password"], False
        return jsonify(state.tokens(username))

    @app.post("/identity/v1/invitations/accept")
    def accept() -> Response:
        body = request.get_json()
        username = state.invitations.pop(body["token"], None)
        if username is None:
            return problem(410, "invitation_invalid", "unknown")
        if len(body["password"]) < 10:
            return problem(422, "validation_failed", "policy", errors={"password": ["must have at least 10 characters"]})
        state.users[username] = {"id": f"u-{username}", "org_id": TENANT, "roles": ["tenant_admin"], "password": body["password"],
                                 "must_change": False}
        return jsonify({"user_id": f"u-{username}", "username": username, "org_id": TENANT})

    @app.get("/identity/v1/me")
    def me() -> Response:
        claims = authorized()
        if isinstance(claims, Response):
            return claims
        return jsonify({"id": claims["sub"], "org_id": claims["org_id"]})

    register_entitlements(app, state, authorized)

    @app.route("/billing/v1/sandbox/pay/<payment_id>", methods=["GET", "POST"])
    @app.post("/marketplace/v1/sandbox/pay/<payment_id>")
    def sandbox(payment_id: str) -> Response:
        payments = state.extra.setdefault("payments", {"P-1": None})
        if payment_id not in payments:
            return problem(404, "not_found", "no such payment")
        if request.method == "GET":
            return jsonify({"payment_id": payment_id, "method": "alipay", "amount_minor": 12800, "currency": "CNY"})
        payments[payment_id] = request.get_json()["outcome"]
        return jsonify({"payment_id": payment_id, "outcome": payments[payment_id], "callback_status": 200})

    from web.tests.fake_portal import register_portal

    register_portal(app, state, authorized)
    app.extensions["fake_state"] = state
    return app


VALID_TAX_IDS = {"91330100716105852F": "杭州示例网络有限公司", "9144030071526726XG": "深圳示例技术有限公司",
                 "91110000802100433B": "北京示例实业有限公司"}
FOREIGN_TAX_ID = "91110000802100433B"  # bound to another tenant


def page_of(items: list[dict[str, Any]]) -> dict[str, Any]:
    page, size = int(request.args.get("page", 1)), int(request.args.get("page_size", 20))
    return {"items": items[(page - 1) * size: page * size], "total": len(items), "page": page, "page_size": size}


def tax_id_problem(tax_id: str) -> Response | None:
    if len(tax_id) != 18:
        return problem(422, "validation_failed", "bad", errors={"tax_id": ["a tax ID has 18 characters (or 15, 17 or 20 for legacy IDs)"]})
    if tax_id not in VALID_TAX_IDS:
        return problem(422, "validation_failed", "bad", errors={"tax_id": ["the check character (GB 32100-2015) is wrong"]})
    return None


def register_entitlements(app: Flask, state: FakeState, authorized: Any) -> None:
    """Orders, activation, enterprises, allocations, change requests, API clients — as the services answer."""
    ent = state.extra.setdefault("entitlements", {"orders": {}, "enterprises": {}, "allocations": [], "changes": [], "clients": {}})

    def admin() -> dict[str, Any] | Response:
        claims = authorized()
        if isinstance(claims, Response):
            return claims
        if "tenant_admin" not in claims["roles"]:
            return problem(403, "forbidden", "tenant admins only")
        return claims

    def staff_or_admin() -> dict[str, Any] | Response:
        claims = authorized()
        if isinstance(claims, Response):
            return claims
        if not {"tenant_admin", "support", "platform_admin"} & set(claims["roles"]):
            return problem(403, "forbidden", "not allowed")
        return claims

    def line_view(line: dict[str, Any]) -> dict[str, Any]:
        allocated = sum(1 for a in ent["allocations"] if a["order_line_id"] == line["id"])
        return {**line, "allocated": allocated, "unallocated": line["quantity"] - allocated, "remaining": line["quantity"] - allocated}

    def order_view(order: dict[str, Any], with_lines: bool = True) -> dict[str, Any]:
        view = {k: v for k, v in order.items() if k not in ("lines", "operation_key")}
        if with_lines:
            view["lines"] = [line_view(line) for line in order["lines"]]
        return view

    @app.get("/entitlements/v1/orders")
    def orders() -> Response:
        claims = staff_or_admin()
        if isinstance(claims, Response):
            return claims
        if "order_no" in request.args and not state.extra.get("order_no_filter"):
            return problem(422, "validation_failed", "unknown", errors={"order_no": ["Unknown field."]})
        staff = "tenant_admin" not in claims["roles"]
        items = [order_view(o, False) for o in ent["orders"].values()
                 if (o["tenant_id"] == request.args.get("tenant_id", o["tenant_id"]) if staff else o["tenant_id"] == claims["org_id"])]
        if request.args.get("unallocated") == "true":
            items = [o for o in items if o["status"] == "activated"
                     and any(line_view(line)["unallocated"] > 0 for line in ent["orders"][o["id"]]["lines"] if line["kind"] == "seat")]
        if request.args.get("order_no"):
            items = [o for o in items if o["order_no"] == request.args["order_no"]]
        if request.args.get("status"):
            items = [o for o in items if o["status"] == request.args["status"]]
        return jsonify(page_of(items))

    @app.get("/entitlements/v1/orders/<order_id>")
    def order(order_id: str) -> Response:
        claims = staff_or_admin()
        if isinstance(claims, Response):
            return claims
        found = ent["orders"].get(order_id)
        return jsonify(order_view(found)) if found else problem(404, "not_found", "no such order")

    @app.post("/entitlements/v1/orders/activate")
    def activate() -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        body = request.get_json()
        found = next((o for o in ent["orders"].values() if o["operation_key"] == body["operation_key"]), None)
        if found is None:
            return problem(422, "invalid_operation_key", "not valid", errors={"operation_key": ["unknown key"]})
        if found["status"] == "activated":
            return problem(422, "operation_key_used", "used", errors={"operation_key": ["already used"]})
        found.update(status="activated", erp=body["erp"], deployment=body["deployment"], activated_at="2026-12-07T02:00:00Z")
        return jsonify(order_view(found))

    @app.route("/entitlements/v1/enterprises", methods=["GET", "POST"])
    def enterprises() -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        if request.method == "GET":
            found = [e for e in ent["enterprises"].values() if request.args.get("tax_id") in (None, e["tax_id"])]
            return jsonify(page_of(found))
        body = request.get_json()
        tax_id = body["tax_id"].strip().upper()
        refused = tax_id_problem(tax_id)
        if refused:
            return refused
        if tax_id == FOREIGN_TAX_ID:
            return problem(409, "enterprise_bound_to_other_tenant", "bound", tenant_name="苏州XXXX有限公司")
        if any(e["tax_id"] == tax_id for e in ent["enterprises"].values()):
            return problem(409, "enterprise_exists", "exists")
        enterprise = {"id": f"e-{len(ent['enterprises']) + 1}", "name": body["name"], "tax_id": tax_id, "api_client_id": None,
                      "registration": {"registered_name": VALID_TAX_IDS[tax_id], "status": "存续"}, "created_at": "2026-12-07T01:00:00Z"}
        ent["enterprises"][enterprise["id"]] = enterprise
        return jsonify(enterprise), 201

    @app.get("/entitlements/v1/registrations/<tax_id>")
    def registration(tax_id: str) -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        tax_id = tax_id.upper()
        refused = tax_id_problem(tax_id)
        if refused:
            return refused
        own = any(e["tax_id"] == tax_id for e in ent["enterprises"].values())
        bound = "other" if tax_id == FOREIGN_TAX_ID else ("own" if own else None)
        return jsonify({"tax_id": tax_id, "registration": {"registered_name": VALID_TAX_IDS[tax_id], "status": "存续"}, "bound": bound,
                        "tenant_name": "苏州XXXX有限公司" if bound == "other" else None})

    @app.route("/entitlements/v1/allocations", methods=["GET", "POST"])
    def allocations() -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        if request.method == "GET":
            held = ent["allocations"] + [h for hs in state.extra.get("portal", {}).get("holders", {}).values() for h in hs]
            if "product_code" in request.args:
                return jsonify(page_of([a for a in held if a["product_code"] == request.args["product_code"]]))
            chosen = request.args.get("enterprise_ids")
            return jsonify(page_of([a for a in held if a["order_line_id"] == request.args.get("order_line_id")
                                    and (chosen is None or a["enterprise_id"] in chosen.split(","))]))
        body = request.get_json()
        line = next(line for o in ent["orders"].values() for line in o["lines"] if line["id"] == body["order_line_id"])
        left = line_view(line)["unallocated"]
        if len(body["enterprise_ids"]) > left:
            return problem(409, "quantity_exceeded", "too many", remaining=left)
        chosen = [ent["enterprises"][i] for i in body["enterprise_ids"]]
        for firm in chosen:
            client_id = f"client-{firm['id']}"
            firm["api_client_id"] = client_id
            ent["clients"][client_id] = {"tax_id": firm["tax_id"], "revealed": False}
            ent["allocations"].append({"id": f"a-{len(ent['allocations']) + 1}", "order_line_id": line["id"], "enterprise_id": firm["id"],
                                       "enterprise_name": firm["name"], "tax_id": firm["tax_id"], "product_code": line["product_code"],
                                       "product_name": line["product_name"], "right_type": line["service_group"],
                                       "serial_number": line["serial_number"], "valid_from": line["valid_from"],
                                       "valid_to": line["valid_to"],
                                       "authorisation": {"client_id": client_id, "issued_at": "2026-12-07T03:00:00Z"}})
        view = line_view(line)
        return jsonify({"order_line_id": line["id"], "quantity": line["quantity"], "allocated": view["allocated"],
                        "unallocated": view["unallocated"], "enterprises": [{"id": f["id"], "name": f["name"], "tax_id": f["tax_id"]}
                                                                            for f in chosen]}), 201

    @app.post("/identity/v1/api-clients/<client_id>/reveal")
    def reveal(client_id: str) -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        client = ent["clients"].get(client_id)
        if client is None:
            return problem(404, "not_found", "no such client")
        if client["revealed"]:
            return problem(409, "already_revealed", "shown once")
        client["revealed"] = True
        return jsonify({"client_id": client_id, "client_secret": f"secret-{client.get('rotations', 0)}-of-{client_id}",
                        "encrypt_key": f"key-of-{client_id}",
                        "tax_id": client["tax_id"]})

    @app.get("/identity/v1/api-clients")
    def api_clients() -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        return jsonify(page_of([{"client_id": client_id, "tax_id": c["tax_id"], "revealed": c["revealed"],
                                 "revealed_at": "2026-12-07T05:00:00Z" if c["revealed"] else None}
                                for client_id, c in ent["clients"].items()]))

    @app.post("/identity/v1/api-clients/<client_id>/rotate-secret")
    def rotate(client_id: str) -> Response:
        claims = admin()
        if isinstance(claims, Response):
            return claims
        client = ent["clients"].get(client_id)
        if client is None:
            return problem(404, "not_found", "no such client")
        client["revealed"] = False
        client["rotations"] = client.get("rotations", 0) + 1
        return jsonify({"client_id": client_id, "tax_id": client["tax_id"], "revealed": False})

    @app.route("/entitlements/v1/change-requests", methods=["GET", "POST"])
    def change_requests() -> Response:
        claims = staff_or_admin() if request.method == "GET" else admin()
        if isinstance(claims, Response):
            return claims
        if request.method == "GET":
            status = request.args.get("status")
            return jsonify(page_of([c for c in ent["changes"] if not status or c["status"] == status]))
        body = request.get_json()
        if body["kind"] == "tax_id_replacement" and body.get("new_tax_id"):
            refused = tax_id_problem(body["new_tax_id"])
            if refused:
                return problem(422, "validation_failed", "bad", errors={"new_tax_id": ["the check character (GB 32100-2015) is wrong"]})
        details = {k: v for k, v in body.items() if k not in ("kind", "reason")}
        if body.get("enterprise_id") in ent["enterprises"]:
            details["old_tax_id"] = ent["enterprises"][body["enterprise_id"]]["tax_id"]
        created = {"id": f"c-{len(ent['changes']) + 1}", "tenant_id": TENANT, "kind": body["kind"], "status": "pending", "details": details,
                   "reason": body["reason"], "chargeable": body["kind"] == "tax_id_replacement", "submitted_at": "2026-12-07T04:00:00Z",
                   "review_comment": None}
        ent["changes"].append(created)
        return jsonify(created), 201


def deliver(state: FakeState, order_no: str = "SO-2026-0001", quantity: int = 2) -> dict[str, Any]:
    """An order delivered to the tenant (awaiting activation) with one seat line and one traffic line."""
    ent = state.extra.setdefault("entitlements", {"orders": {}, "enterprises": {}, "allocations": [], "changes": [], "clients": {}})
    number = len(ent["orders"]) + 1
    order = {"id": f"o-{number}", "order_no": order_no, "tenant_id": TENANT, "source": "sales", "status": "delivered", "erp": None,
             "deployment": None, "activated_at": None, "created_at": "2026-12-07T00:00:00Z", "operation_key": f"KEY-{order_no}",
             "lines": [{"id": f"l-{number}-1", "product_code": "FP-ISSUE", "product_name": "发票云开票", "kind": "seat",
                        "service_group": "invoice_issuing", "quantity": quantity, "valid_from": "2026-01-01", "valid_to": "2027-12-31",
                        "serial_number": "SN-ISSUE-1", "activated": False},
                       {"id": f"l-{number}-2", "product_code": "OCR", "product_name": "发票识别", "kind": "traffic", "service_group": None,
                        "quantity": 1000, "valid_from": "2026-01-01", "valid_to": "2027-12-31", "serial_number": "SN-OCR-1",
                        "activated": False}]}
    ent["orders"][order["id"]] = order
    return order


class WsgiTransport(BaseAdapter):
    """A `requests` transport that answers from a WSGI app instead of the network."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.client = Client(app)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = requests.utils.urlparse(request.url)
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        answer = self.client.open(url.path, method=request.method, query_string=url.query, headers=dict(request.headers), data=body)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers.items())
        response.raw = io.BytesIO(answer.get_data())
        response.url = request.url
        response.request = request
        response.reason = answer.status.partition(" ")[2]
        return response

    def close(self) -> None:
        pass
