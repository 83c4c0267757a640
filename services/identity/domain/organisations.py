"""Organisation kinds, which roles fit each kind, and how organisations nest."""
from __future__ import annotations

from collections.abc import Iterable

PLATFORM = "platform"
TENANT = "tenant"
RESELLER = "reseller"
DEALER = "dealer"
COMPANY = "company"
KINDS = (PLATFORM, TENANT, RESELLER, DEALER, COMPANY)

ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    PLATFORM: ("platform_admin", "sales", "finance", "support"),
    TENANT: ("tenant_admin",),
    RESELLER: ("reseller_admin", "reseller_user"),
    DEALER: ("dealer_user",),
    COMPANY: ("customer",),
}
ADMIN_ROLE_BY_KIND: dict[str, str] = {PLATFORM: "platform_admin", TENANT: "tenant_admin", RESELLER: "reseller_admin"}
MEMBER_ROLE_BY_KIND: dict[str, str] = {RESELLER: "reseller_user", DEALER: "dealer_user", COMPANY: "customer"}
ALLOWED_PARENT_KINDS: dict[str, tuple[str | None, ...]] = {
    PLATFORM: (None,),
    TENANT: (None,),
    RESELLER: (None,),
    DEALER: (RESELLER,),
    COMPANY: (None, COMPANY),
}
ACTIVE = "active"
DISABLED = "disabled"


def roles_not_fitting(kind: str, roles: Iterable[str]) -> list[str]:
    """The roles that users of an organisation of `kind` may not hold."""
    allowed = ROLES_BY_KIND.get(kind, ())
    return sorted(role for role in roles if role not in allowed)


def parent_fits(kind: str, parent_kind: str | None) -> bool:
    return parent_kind in ALLOWED_PARENT_KINDS.get(kind, ())


def admin_role(kind: str) -> str | None:
    return ADMIN_ROLE_BY_KIND.get(kind)
