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

    app.extensions["fake_state"] = state
    return app


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
