"""Billing account configuration per company: cycle, auto-renew, notifications, language, emails."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import account_configs
from services.billing.domain.billing_cycle import next_cycle_start
from services.billing.domain.errors import NotFound
from services.billing.service_layer.companies import Caller, companies_in_scope, require_company, require_in_scope
from shared.uow import UnitOfWork


def save(uow: UnitOfWork, caller: Caller, company_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Create or replace the config; switching auto-renew on schedules its first run at the next cycle start."""
    session = uow.session
    require_company(session, company_id)
    require_in_scope(session, caller, company_id, "company")
    current = session.execute(select(account_configs).where(account_configs.c.company_id == company_id)).first()
    emails = list(dict.fromkeys(e.strip().lower() for e in fields["emails"]))
    keeps_schedule = current is not None and current.auto_renew and current.billing_cycle == fields["billing_cycle"]
    next_run = None
    if fields["auto_renew"]:
        next_run = current.next_renewal_on if keeps_schedule else next_cycle_start(fields["billing_cycle"], uow.clock.today())
    values = {**fields, "emails": emails, "next_renewal_on": next_run, "updated_at": uow.clock.now()}
    if current is None:
        session.execute(account_configs.insert().values(company_id=company_id, **values))
    else:
        session.execute(account_configs.update().where(account_configs.c.company_id == company_id).values(**values))
    uow.audit("account_config.saved", "company", company_id, {**fields, "emails": emails})
    return get(session, caller, company_id)


def get(session: Session, caller: Caller, company_id: str) -> dict[str, Any]:
    require_in_scope(session, caller, company_id, "account config")
    row = session.execute(select(account_configs).where(account_configs.c.company_id == company_id)).first()
    if row is None:
        raise NotFound("account config")
    return dict(row._mapping)


def delete(uow: UnitOfWork, caller: Caller, company_id: str) -> None:
    get(uow.session, caller, company_id)
    uow.session.execute(account_configs.delete().where(account_configs.c.company_id == company_id))
    uow.audit("account_config.deleted", "company", company_id)


def configs_query(session: Session, caller: Caller, company_id: str | None, scope: str) -> Any:
    query = select(account_configs).order_by(account_configs.c.company_id)
    visible = companies_in_scope(session, caller, company_id, scope)
    if visible is not None:
        query = query.where(account_configs.c.company_id.in_(visible))
    return query
