"""Who is signed in, and their tokens — kept on the server, never in the browser.

The browser holds one cookie: the session id (Flask-Session; HttpOnly, SameSite=Lax, Secure over
HTTPS). The session (language, flash messages, CSRF token, who is signed in) lives in the server
store. The tokens live apart from it, in the *token vault* (the same store, key `web-tokens:<id>`),
because the session is written back whole at the end of every request: two requests of one browser
running at once (two tabs, htmx) would otherwise write back an old refresh token over the one a
refresh had just rotated, and identity revokes the whole family when a rotated token comes back.
Only sign-in, refresh and sign-out write the vault; a refresh holds a short lock, and a request that
finds the lock taken waits and reads the tokens the other one stored.
"""
from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import wraps
from typing import Any, TypeVar

import jwt
from cachelib import BaseCache
from flask import current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from web.gateway_client import ApiError, GatewayClient
from web.security import safe_next

REFRESH_MARGIN = 30  # seconds before expiry at which a token is refreshed ahead of a call
LOCK_SECONDS = 10

F = TypeVar("F", bound=Callable[..., Any])


class SessionEnded(Exception):
    """The signed-in session is gone (signed out elsewhere, refresh token revoked or expired)."""


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float
    must_change_password: bool = False

    @classmethod
    def of(cls, pair: dict[str, Any], now: float) -> "Tokens":
        return cls(pair["access_token"], pair["refresh_token"], now + int(pair.get("expires_in") or 0),
                   bool(pair.get("must_change_password")))


class TokenVault:
    def __init__(self, cache: BaseCache, ttl_seconds: int) -> None:
        self.cache = cache
        self.ttl = ttl_seconds

    def get(self, key: str) -> Tokens | None:
        stored = self.cache.get(f"web-tokens:{key}")
        return Tokens(**stored) if isinstance(stored, dict) else None

    def put(self, key: str, tokens: Tokens) -> None:
        self.cache.set(f"web-tokens:{key}", asdict(tokens), timeout=self.ttl)

    def delete(self, key: str) -> None:
        self.cache.delete(f"web-tokens:{key}")

    def lock(self, key: str) -> bool:
        return bool(self.cache.add(f"web-tokens-lock:{key}", 1, timeout=LOCK_SECONDS))

    def unlock(self, key: str) -> None:
        self.cache.delete(f"web-tokens-lock:{key}")


def gateway() -> GatewayClient:
    return current_app.extensions["web_gateway"]


def vault() -> TokenVault:
    return current_app.extensions["web_vault"]


def _claims(access_token: str) -> dict[str, Any]:
    """The token's claims, for the page's own choices (menus); the API checks the token itself."""
    return jwt.decode(access_token, options={"verify_signature": False})


def sign_in(pair: dict[str, Any], username: str) -> None:
    """Start a signed-in session: a fresh session id (no fixation), the tokens into the vault."""
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    key = secrets.token_urlsafe(24)
    tokens = Tokens.of(pair, time.time())
    vault().put(key, tokens)
    claims = _claims(tokens.access_token)
    session.permanent = True
    session["auth"] = key
    session["user"] = {
        "sub": claims.get("sub"), "org_id": claims.get("org_id"), "org_kind": claims.get("org_kind"),
        "roles": list(claims.get("roles") or []), "username": username,
    }
    session["must_change_password"] = tokens.must_change_password


def replace_tokens(pair: dict[str, Any]) -> None:
    """New tokens for the signed-in session (after the password change)."""
    tokens = Tokens.of(pair, time.time())
    vault().put(session["auth"], tokens)
    session["must_change_password"] = tokens.must_change_password


def sign_out() -> None:
    key = session.get("auth")
    if key:
        tokens = vault().get(key)
        vault().delete(key)
        if tokens:
            with contextlib.suppress(ApiError):  # already revoked or expired: the session ends here all the same
                gateway().logout(tokens.refresh_token)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def signed_in() -> bool:
    return bool(session.get("auth"))


def current_user() -> dict[str, Any]:
    return session.get("user") or {}


def access_token(force_refresh: bool = False) -> str:
    """A valid access token of the signed-in user, refreshed when it is about to expire."""
    key = session.get("auth")
    tokens = vault().get(key) if key else None
    if tokens is None:
        raise SessionEnded
    if force_refresh or tokens.expires_at - time.time() < REFRESH_MARGIN:
        tokens = _refresh(key, tokens)
    return tokens.access_token


def _refresh(key: str, seen: Tokens) -> Tokens:
    deadline = time.monotonic() + LOCK_SECONDS
    while not vault().lock(key):
        if time.monotonic() > deadline:
            raise SessionEnded
        time.sleep(0.05)
    try:
        current = vault().get(key)
        if current is None:
            raise SessionEnded
        if current.refresh_token != seen.refresh_token:
            return current  # another request refreshed meanwhile
        try:
            pair = gateway().refresh(current.refresh_token)
        except ApiError as exc:
            if exc.status in (401, 403, 404, 410):
                vault().delete(key)
                raise SessionEnded from exc
            raise
        fresh = Tokens.of(pair, time.time())
        vault().put(key, fresh)
        return fresh
    finally:
        vault().unlock(key)


class UserApi:
    """The gateway as the signed-in user: a 401 for an expired token refreshes once and retries."""

    def __init__(self, client: GatewayClient) -> None:
        self.client = client

    def call(self, method: str, path: str, raw: bool = False, **kwargs: Any) -> Any:
        send = self.client.call if raw else self.client.json
        try:
            return send(method, path, token=access_token(), **kwargs)
        except ApiError as exc:
            if exc.status != 401:
                raise
        try:
            return send(method, path, token=access_token(force_refresh=True), **kwargs)
        except ApiError as exc:
            if exc.status == 401:
                sign_out()
                raise SessionEnded from exc
            raise

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.call("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)

    def download(self, path: str, **kwargs: Any) -> Any:
        """A file the API answers (an export): the `requests.Response`, its body read as it is consumed."""
        return self.call("GET", path, raw=True, headers={"Accept": "*/*"}, stream=True, **kwargs)


def api() -> UserApi:
    return UserApi(gateway())


def login_redirect() -> Response:
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=safe_next(target)))


def login_required(view: F) -> F:
    """Signed-in users only; one who must change the initial password is sent to that page first."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not signed_in():
            return login_redirect()
        if session.get("must_change_password"):
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.password", next=safe_next(target)))
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]
