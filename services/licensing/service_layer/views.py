"""Read side: the license list of a service group with its A/AA counts, and an enterprise's capabilities."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services.licensing.adapters import repository
from services.licensing.domain.model import AuthorizationStatus, ServiceGroup
from shared.web import page_of


@dataclass(frozen=True)
class GroupCounts:
    """(A/AA): authorized enterprises / seats licensed to the tenant in the group."""

    service_group: ServiceGroup
    authorized: int
    licensed: int


def group_counts(session: Session, tenant_id: str, group: ServiceGroup, today: date) -> GroupCounts:
    return GroupCounts(
        group, repository.authorized_count(session, tenant_id, group), repository.licensed_total(session, tenant_id, group, today)
    )


def license_page(
    session: Session,
    tenant_id: str,
    group: ServiceGroup,
    today: date,
    *,
    status: AuthorizationStatus | None,
    search: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    found = page_of(session, repository.license_list_query(tenant_id, group, status, search), page, page_size)
    counts = group_counts(session, tenant_id, group, today)
    return {
        "items": [repository.stored_license(row) for row in found["items"]],
        "service_group": group,
        "authorized": counts.authorized,
        "licensed": counts.licensed,
        "total": found["total"],
        "page": page,
        "page_size": page_size,
    }


@dataclass(frozen=True)
class Capabilities:
    tax_id: str
    can_issue: bool
    can_receive: bool
    locked_until: date | None


def capabilities(session: Session, tenant_id: str, tax_id: str, today: date) -> Capabilities | None:
    licenses = {lic.service_group: lic for lic in repository.licenses_of_tax_id(session, tenant_id, tax_id)}
    if not licenses:
        return None
    locks = [lock for lic in licenses.values() if (lock := lic.locked_until(today)) is not None]
    return Capabilities(
        tax_id=tax_id,
        can_issue=licenses[ServiceGroup.INVOICE_ISSUING].can_use(today),
        can_receive=licenses[ServiceGroup.INVOICE_RECEIVING].can_use(today),
        locked_until=max(locks, default=None),
    )
