"""Customer companies and their subsidiaries: the read model fed by identity's organisation events,
and the scope rule — a customer acts on its company and the companies below it, platform staff on all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import companies
from services.billing.domain.errors import NotFound, RuleViolation
from shared.envelope import Event
from shared.uow import UnitOfWork

SCOPES = ("direct", "all")


@dataclass(frozen=True)
class Caller:
    """Who asks: a customer user of one company, or a platform staff member acting across companies."""

    user_id: str
    company_id: str | None
    staff: bool


def record_organisation(uow: UnitOfWork, event: Event) -> None:
    """identity.organisation.created/updated.v1: keep companies (other kinds are not billing's)."""
    data = event.data
    if data.get("kind") != "company":
        return
    values = {
        "name": str(data.get("name") or "")[:200],
        "parent_id": data.get("parent_id"),
        "status": str(data.get("status") or "active")[:20],
        "updated_at": uow.clock.now(),
    }
    exists = uow.session.execute(select(companies.c.id).where(companies.c.id == data["org_id"])).first()
    if exists:
        uow.session.execute(companies.update().where(companies.c.id == data["org_id"]).values(**values))
    else:
        uow.session.execute(companies.insert().values(id=data["org_id"], **values))


def company_tree(session: Session, root_id: str, scope: str = "all") -> set[str]:
    """The company itself and its subsidiaries: direct children only, or all levels below it."""
    if scope == "direct":
        children = session.execute(select(companies.c.id).where(companies.c.parent_id == root_id)).scalars()
        return {root_id, *children}
    tree = select(companies.c.id).where(companies.c.id == root_id).cte("tree", recursive=True)
    tree = tree.union(select(companies.c.id).where(companies.c.parent_id == tree.c.id))
    return {root_id, *session.execute(select(tree.c.id)).scalars()}


def require_company(session: Session, company_id: str) -> Any:
    """The company row; 422 `unknown_company` when identity has not told billing about it."""
    row = session.execute(select(companies).where(companies.c.id == company_id)).first()
    if row is None:
        raise RuleViolation("unknown_company", f"company {company_id} is not known to billing", errors={"company_id": ["unknown"]})
    return row


def require_in_scope(session: Session, caller: Caller, company_id: str, what: str = "resource") -> None:
    """404 unless the caller may act on `company_id` (other companies' objects are never revealed)."""
    if caller.staff:
        return
    if caller.company_id is None or company_id not in company_tree(session, caller.company_id):
        raise NotFound(what)


def companies_in_scope(session: Session, caller: Caller, company_id: str | None, scope: str) -> set[str] | None:
    """The companies a listing covers; None means every company (staff without a company filter)."""
    if company_id is None:
        if caller.staff:
            return None
        return company_tree(session, caller.company_id or "", scope)
    if caller.staff:
        require_company(session, company_id)
    else:
        require_in_scope(session, caller, company_id, "company")
    return company_tree(session, company_id, scope)


def companies_query(session: Session, caller: Caller, company_id: str | None, scope: str) -> Any:
    query = select(companies).order_by(companies.c.name, companies.c.id)
    visible = companies_in_scope(session, caller, company_id, scope)
    if visible is not None:
        query = query.where(companies.c.id.in_(visible))
    return query
