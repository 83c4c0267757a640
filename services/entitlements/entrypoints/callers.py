"""Who is calling: the caller's tenant, and the service's configured helpers, for the views."""
from __future__ import annotations

from services.entitlements.adapters.registration import RegistrationLookup
from services.entitlements.service_layer.policy import Policy
from shared.auth import Principal, current_principal
from shared.errors import Problem
from shared.web import current_context


def caller_tenant() -> str:
    """The tenant of a tenant admin or of an enterprise API client."""
    principal = current_principal()
    if not principal.org_id or (principal.org_kind not in (None, "tenant") and principal.kind != "client"):
        raise Problem(403, "forbidden", "only a tenant's users and API clients can do this")
    return principal.org_id


def tenant_scope(principal: Principal, requested: str | None = None) -> str | None:
    """Platform staff see every tenant (or the one they ask for); everyone else only their own."""
    if principal.is_platform_staff:
        return requested
    return caller_tenant()


def client_tax_id(principal: Principal) -> str | None:
    """The tax ID an API client may consume for; None for tenant admins (any tax ID of their tenant) and
    for platform services (any tax ID of the tenant they name)."""
    if principal.is_service or (principal.kind != "client" and "api_client" not in principal.roles):
        return None
    if not principal.tax_id:
        raise Problem(403, "forbidden", "this API client is not bound to a tax ID")
    return principal.tax_id.strip().upper()


def policy() -> Policy:
    return current_context().extras["policy"]


def registration_lookup() -> RegistrationLookup:
    return current_context().extras["registration_lookup"]
