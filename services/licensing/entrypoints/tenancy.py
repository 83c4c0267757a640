"""Who is calling: the tenant whose ERP instance a request works on, and the name recorded as authorizer."""
from __future__ import annotations

from shared.auth import current_principal
from shared.errors import Problem


def tenant_id() -> str:
    principal = current_principal()
    if principal.org_kind != "tenant" or not principal.org_id:
        raise Problem(403, "forbidden", "only a tenant's users work on its ERP licenses")
    return principal.org_id


def actor() -> tuple[str, str | None]:
    """(who: the user's or API client's id, their name: the token's `name`, else `username`, else None)."""
    principal = current_principal()
    claims = principal.claims
    name = claims.get("name") or claims.get("username") or claims.get("email")
    return principal.sub[:200], (str(name)[:200] if name else None)
