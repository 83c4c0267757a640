"""Who may see and who may manage which organisation (and so its users).

Platform staff see every organisation and manage all but the platform itself, which only platform
admins manage. An organisation's admin manages it; a reseller admin also manages the reseller's
dealers. Members see their own organisation (a reseller's members also its dealers). Whatever a
caller may not see is reported as missing (404), never as forbidden.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.identity.adapters import repository
from services.identity.adapters.orm import organisations, users
from services.identity.domain.organisations import DEALER, PLATFORM, TENANT, admin_role
from shared.auth import Principal
from shared.errors import Problem, not_found


def can_see(principal: Principal, org: Any) -> bool:
    if principal.is_platform_staff:
        return True
    return org.id == principal.org_id or (org.kind == DEALER and org.parent_id == principal.org_id)


def can_manage(principal: Principal, org: Any) -> bool:
    if principal.is_platform_staff:
        return org.kind != PLATFORM or principal.has_any("platform_admin")
    if org.id == principal.org_id:
        role = admin_role(org.kind)
        return role is not None and principal.has_any(role)
    return org.kind == DEALER and org.parent_id == principal.org_id and principal.has_any("reseller_admin")


def visible_organisation(session: Session, principal: Principal, org_id: str, *, for_update: bool = False) -> Any:
    org = repository.organisation(session, org_id, for_update=for_update)
    if org is None or not can_see(principal, org):
        raise not_found("organisation")
    return org


def managed_organisation(session: Session, principal: Principal, org_id: str, *, for_update: bool = False) -> Any:
    org = visible_organisation(session, principal, org_id, for_update=for_update)
    if not can_manage(principal, org):
        raise Problem(403, "forbidden", "your role does not allow managing this organisation")
    return org


def tenant(session: Session, principal: Principal, tenant_id: str) -> Any:
    """A tenant the principal can see (platform staff, or the tenant's own users)."""
    org = repository.organisation(session, tenant_id)
    if org is None or org.kind != TENANT or not can_see(principal, org):
        raise not_found("tenant")
    return org


def account_is_active(session: Session, user_id: str) -> bool:
    """False when the user, or its organisation, is disabled or deleted (an unknown id is not judged here)."""
    row = session.execute(
        select(users.c.status, organisations.c.status.label("org_status"))
        .join(organisations, organisations.c.id == users.c.org_id)
        .where(users.c.id == user_id)
    ).first()
    return row is None or (row.status == "active" and row.org_status == "active")
