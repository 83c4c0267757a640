"""The claims of the access tokens identity signs (what every service's TokenVerifier reads)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ISSUER = "suite-identity"
AUDIENCE = "suite"
API_CLIENT_ROLE = "api_client"
SERVICE_ROLE = "service"


def user_claims(
    *, user_id: str, org_id: str, org_kind: str, roles: Iterable[str], issued_at: int, ttl: int, must_change_password: bool,
    username: str | None = None, name: str | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "org_id": org_id,
        "org_kind": org_kind,
        "roles": sorted(roles),
        "iat": issued_at,
        "exp": issued_at + ttl,
        "typ": "access",
        "kind": "user",
    }
    if must_change_password:
        claims["pwd_change"] = True
    # Who the person is, for the actor fields other services show beside the id (licensing's authorized_by_name).
    if username:
        claims["username"] = username
    if name:
        claims["name"] = name
    return claims


def client_claims(*, client_id: str, tenant_id: str, tax_id: str, issued_at: int, ttl: int) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "org_id": tenant_id,
        "org_kind": "tenant",
        "roles": [API_CLIENT_ROLE],
        "iat": issued_at,
        "exp": issued_at + ttl,
        "typ": "access",
        "kind": "client",
        "tax_id": tax_id,
    }


def service_claims(*, name: str, platform_id: str, issued_at: int, ttl: int) -> dict[str, Any]:
    """A service of the suite calling another one: a client of the platform with role `service`."""
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": f"service:{name}",
        "org_id": platform_id,
        "org_kind": "platform",
        "roles": [SERVICE_ROLE],
        "iat": issued_at,
        "exp": issued_at + ttl,
        "typ": "access",
        "kind": "client",
    }
