"""Bearer-token verification and role/organisation scoping for every service.

Tokens are EdDSA-signed JWTs issued by identity; keys come from identity's JWKS, cached by `kid`
and refetched (rate-limited) when an unknown `kid` appears, so key rotation needs no restart. Only
the algorithms in the allow-list are accepted (never `none`, never HMAC with a public key), and
`iss`, `aud`, `sub`, `exp` and `iat` are required and checked; `typ` must be `access` (a token without
it is refused); `exp` and `iat` must be JSON numbers (a string `"9999999999"` is refused, though PyJWT
would coerce it) and a token may live at most `MAX_TOKEN_LIFETIME_SECONDS` (one hour) from `iat` to
`exp`, with `iat` not in the future: a token signed with the real key but minted to last for years
is refused (identity issues 15-minute tokens). The gateway and every service use this one verifier.

Three kinds of caller: users (`kind` "user"), enterprise API clients (`kind` "client", role
`api_client`) and platform services calling each other (`kind` "client", role `service`, `org_kind`
"platform", `sub` "service:<name>"). A view accepts API clients only with `clients=True` and services
only with `services=True`.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from flask import current_app, g, request

from shared.errors import Problem

ALGORITHMS = ("EdDSA",)
MAX_TOKEN_LIFETIME_SECONDS = 3600


def _numeric_date(value: Any) -> bool:
    """A NumericDate of RFC 7519: a JSON number (not a string, not a boolean), finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value and abs(value) < 1e12

PLATFORM_STAFF = ("platform_admin", "sales", "finance", "support")
SERVICE_ROLE = "service"


@dataclass(frozen=True)
class Principal:
    sub: str
    org_id: str | None
    org_kind: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    kind: str = "user"  # "user" or "client"
    tax_id: str | None = None
    must_change_password: bool = False
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_platform_staff(self) -> bool:
        return self.org_kind == "platform" and self.has_any(*PLATFORM_STAFF)

    @property
    def is_service(self) -> bool:
        """Another service of the suite calling with its service credentials (never a person or an API client)."""
        return self.kind == "client" and self.org_kind == "platform" and SERVICE_ROLE in self.roles


KeyFetcher = Callable[[], dict[str, Any]]


class JwksCache:
    """Public keys by kid, from a JWKS document fetched by `fetch`.

    The set is fetched again after `ttl` seconds (`JWKS_CACHE_SECONDS`, default 60): that bounds how long
    a key identity dropped in an emergency is still trusted (with the verified-token cache below, which
    checks that a token's key is still in the set fetched last). One small GET a minute per process.
    """

    def __init__(self, fetch: KeyFetcher, *, ttl: float | None = None, min_refetch_interval: float = 2.0) -> None:
        self._fetch = fetch
        self._ttl = float(os.environ.get("JWKS_CACHE_SECONDS", "60")) if ttl is None else ttl
        self._min_interval = min_refetch_interval
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        document = self._fetch()
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
                keys[jwk["kid"]] = jwt.algorithms.OKPAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self._fetched_at = time.monotonic()

    def published(self, kid: str) -> Any | None:
        """The key of `kid` in the set fetched last, without fetching (None once it left the set)."""
        return self._keys.get(kid)

    def key(self, kid: str) -> Any | None:
        now = time.monotonic()
        with self._lock:
            stale = now - self._fetched_at > self._ttl
            if (kid not in self._keys or stale) and now - self._fetched_at >= self._min_interval:
                try:
                    self._refresh()
                except (requests.RequestException, ValueError) as exc:
                    if not self._keys:
                        raise Problem(503, "identity_unavailable", "token keys cannot be fetched") from exc
            return self._keys.get(kid)


def http_jwks(url: str, timeout: float = 3.0) -> KeyFetcher:
    session = requests.Session()

    def fetch() -> dict[str, Any]:
        response = session.get(url, timeout=timeout)
        response.raise_for_status()
        return response.json()

    return fetch


class TokenVerifier:
    """Checks access tokens, and remembers the ones it verified.

    An EdDSA verification with PyJWT costs ~0.15–0.2 ms of CPU, about a third of a cheap request of
    a service (measured with bench/gateway_overhead.py: a bearer request 0.69 ms against 0.48 ms
    anonymous). A client sends the same token with every request for its 15 minutes, so a verified
    token's principal is kept for at most `cache_seconds` and never past its `exp`, in a bounded
    table (emptied when full), and only while the key that signed it is still the one published
    under its `kid` in the last fetched JWKS: a key rotated out of the set stops its tokens as soon
    as the new set is fetched, cached or not. Only successes are kept: a bad token is checked (and
    refused) every time.
    """

    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5.0,
        cache_seconds: float = 60.0,
        cache_size: int = 10_000,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        self._verified: dict[str, tuple[Principal, float, str, Any]] = {}

    def verify(self, token: str) -> Principal:
        now = time.time()
        known = self._verified.get(token)
        if known is not None and known[1] > now and self.keys.published(known[2]) is known[3]:
            return known[0]
        principal, kid, key = self._verify(token)
        if self.cache_seconds > 0:
            if len(self._verified) >= self.cache_size:
                self._verified = {}
            self._verified[token] = (principal, min(float(principal.claims["exp"]), now + self.cache_seconds), kid, key)
        return principal

    def _verify(self, token: str) -> tuple[Principal, str, Any]:
        """The principal of a valid token, with the `kid` and key that verified it; else 401."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Problem(401, "invalid_token", "the bearer token is malformed") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Problem(401, "invalid_token", "the token's algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Problem(401, "invalid_token", "the token was not signed by a known key")
        key = self.keys.key(kid)
        if key is None:
            raise Problem(401, "invalid_token", "the token was not signed by a known key")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "token_expired", "the bearer token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Problem(401, "invalid_token", "the bearer token is not valid") from exc
        if claims.get("typ") != "access":
            raise Problem(401, "invalid_token", "not an access token")
        issued, expires = claims["iat"], claims["exp"]
        if not (_numeric_date(issued) and _numeric_date(expires)):
            raise Problem(401, "invalid_token", "the token's exp and iat must be numbers")
        if expires - issued > MAX_TOKEN_LIFETIME_SECONDS or issued > time.time() + self.leeway:
            raise Problem(401, "invalid_token", "the token's lifetime is not that of an access token")
        principal = Principal(
            sub=str(claims["sub"]),
            org_id=claims.get("org_id"),
            org_kind=claims.get("org_kind"),
            roles=frozenset(claims.get("roles") or ()),
            kind=claims.get("kind", "user"),
            tax_id=claims.get("tax_id"),
            must_change_password=bool(claims.get("pwd_change")),
            claims=claims,
        )
        return principal, kid, key


def bearer_token() -> str | None:
    return parse_bearer(request.headers.get("Authorization"))


def parse_bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without a header; 401 for another scheme."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "invalid_token", "use the Bearer scheme")
    return token.strip()


def authenticate_request() -> None:
    """before_request hook: a present token must be valid; an absent one leaves the request anonymous."""
    g.principal = None
    token = bearer_token()
    if token is None:
        return
    verifier: TokenVerifier = current_app.extensions["suite_verifier"]
    g.principal = verifier.verify(token)


def current_principal() -> Principal:
    principal = getattr(g, "principal", None)
    if principal is None:
        raise Problem(401, "unauthorized", "a bearer token is required")
    return principal


def optional_principal() -> Principal | None:
    return getattr(g, "principal", None)


def require(*roles: str, allow_password_change: bool = False, clients: bool = False, services: bool = False) -> Callable:
    """Decorator: a logged-in principal with one of `roles` (any role when none given).

    API-client tokens pass only with `clients=True`; service tokens only with `services=True`, which
    admits them whatever `roles` says (the view then acts for the party the request names).
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal.is_service:
                if not services:
                    raise Problem(403, "forbidden", "services cannot use this operation")
                return view(*args, **kwargs)
            if principal.must_change_password and not allow_password_change:
                raise Problem(403, "password_change_required", "change the initial password first")
            if principal.kind == "client" and not clients:
                raise Problem(403, "forbidden", "API clients cannot use this operation")
            if roles and not principal.has_any(*roles):
                raise Problem(403, "forbidden", "your role does not allow this operation")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def org_scope(principal: Principal, org_id: str | None, allowed: Iterable[str] | None = None) -> None:
    """404 unless the principal's organisation (or the given set of allowed ones) owns `org_id`.

    Platform staff see everything; other callers never learn that another organisation's id exists.
    """
    if principal.is_platform_staff:
        return
    scope = set(allowed) if allowed is not None else {principal.org_id}
    if org_id is None or org_id not in scope:
        raise Problem(404, "not_found", "resource not found")
