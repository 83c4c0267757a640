"""The web app's only way to data: the gateway's public REST API over HTTP, with the user's token.

The web app owns no business data and reads no service's database. Every call goes through the
gateway exactly as any other client's would, so the portal can do nothing the API would not let the
signed-in user do. A problem+json answer becomes an `ApiError` carrying its `code`, `errors` and
extra fields, which the pages turn into words on the form (web/messages.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from flask import has_request_context, request
from opentelemetry import propagate


@dataclass
class ApiError(Exception):
    """The API refused (4xx/5xx problem+json), or could not be reached (status 503, code `unavailable`)."""

    status: int
    code: str
    detail: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"


def _error_of(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    known = {"type", "title", "status", "detail", "code", "errors", "instance"}
    retry = response.headers.get("Retry-After") or body.get("retry_after")
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    return ApiError(
        status=response.status_code,
        code=str(body.get("code") or f"http_{response.status_code}"),
        detail=str(body.get("detail") or ""),
        errors={str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()},
        extra={k: v for k, v in body.items() if k not in known},
        retry_after=int(retry) if str(retry or "").isdigit() else None,
    )


class GatewayClient:
    """HTTP calls to the gateway; one keep-alive `requests.Session` per app (thread-safe enough for
    plain requests; no cookies are ever kept on it)."""

    def __init__(self, base_url: str, *, timeout: float = 15.0, http: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = http or requests.Session()

    def call(
        self, method: str, path: str, *, token: str | None = None, json: Any = None, params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None, stream: bool = False, files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> requests.Response:
        """The answer of a 2xx call; anything else raises `ApiError`. `stream`: the body is read as it is consumed."""
        sent = {"Accept": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        propagate.inject(sent)  # the page's span is the parent of the gateway's: one trace per click
        if has_request_context() and request.remote_addr:
            # The browser's address (the gateway's entry, through ProxyFix), for identity's per-address login
            # throttle; identity believes it only from a proxy it trusts (IDENTITY_TRUSTED_PROXIES).
            sent["X-Forwarded-For"] = request.remote_addr
        try:
            response = self.http.request(
                method, self.base_url + path, json=json, params=params, headers=sent, timeout=self.timeout, allow_redirects=False,
                stream=stream, files=files, data=data,  # multipart uploads (an expiry sheet)
            )
        except requests.RequestException as exc:
            raise ApiError(503, "unavailable", str(exc)) from exc
        finally:
            self.http.cookies.clear()  # the API sets none; never carry one user's cookie to another's call
        if response.status_code >= 400:
            raise _error_of(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()

    # Sessions and passwords (identity, public or with the user's token).

    def login(self, username: str, password: str) -> dict[str, Any]:
        return self.json("POST", "/identity/v1/auth/login", json={"username": username, "password": password})

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self.json("POST", "/identity/v1/auth/refresh", json={"refresh_token": refresh_token})

    def logout(self, refresh_token: str) -> None:
        self.call("POST", "/identity/v1/auth/logout", json={"refresh_token": refresh_token})

    def request_sms_code(self, token: str, purpose: str = "password_change") -> dict[str, Any]:
        return self.json("POST", "/identity/v1/auth/sms-codes", token=token, json={"purpose": purpose})

    def change_password(self, token: str, old_password: str, new_password: str, sms_code: str) -> dict[str, Any]:
        body = {"old_password": old_password, "new_password": new_password, "sms_code": sms_code}
        return self.json("POST", "/identity/v1/auth/password", token=token, json=body)

    def accept_invitation(self, invitation_token: str, password: str) -> dict[str, Any]:
        return self.json("POST", "/identity/v1/invitations/accept", json={"token": invitation_token, "password": password})
