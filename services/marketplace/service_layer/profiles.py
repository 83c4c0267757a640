"""The reseller's profile page data: organisation, registration details and membership tier."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from services.marketplace.adapters.orm import organisations, reseller_applications, reseller_profiles
from services.marketplace.domain.tiers import benefits_table
from shared.errors import Problem, not_found
from shared.uow import UnitOfWork


def tier_of(uow: UnitOfWork, reseller_id: str) -> str:
    tier = uow.session.execute(select(reseller_profiles.c.tier).where(reseller_profiles.c.reseller_id == reseller_id)).scalar()
    return tier or "registered"


def profile(uow: UnitOfWork, reseller_id: str) -> dict[str, Any]:
    organisation = uow.session.execute(select(organisations).where(organisations.c.org_id == reseller_id)).first()
    application = uow.session.execute(
        select(reseller_applications).where(reseller_applications.c.reseller_id == reseller_id)).first()
    tier = tier_of(uow, reseller_id)
    return {
        "reseller_id": reseller_id,
        "name": organisation.name if organisation else (application.company if application else None),
        "status": organisation.status if organisation else None,
        "company": application.company if application else None,
        "address": application.address if application else None,
        "business_owner": application.business_owner if application else None,
        "registrant": {"name": application.contact_name, "email": application.email, "phone": application.phone,
                       "position": application.position} if application else None,
        "tier": tier,
        "benefits": [{"category": b["category"], "name": b["name"], "value": b[tier]} for b in benefits_table()],
    }


def contact_email(uow: UnitOfWork, reseller_id: str) -> str | None:
    """Where mail for the reseller goes: the organisation's contact, else the registrant's email."""
    email = uow.session.execute(select(organisations.c.contact_email).where(organisations.c.org_id == reseller_id)).scalar()
    if email:
        return email
    return uow.session.execute(
        select(reseller_applications.c.email).where(reseller_applications.c.reseller_id == reseller_id)).scalar()


def set_tier(uow: UnitOfWork, reseller_id: str, tier: str) -> None:
    known = uow.session.execute(select(organisations.c.kind).where(organisations.c.org_id == reseller_id)).scalar()
    if known is None:
        raise not_found("reseller")
    if known != "reseller":
        raise Problem(422, "not_a_reseller", "this organisation is not a reseller")
    result = uow.session.execute(update(reseller_profiles).where(reseller_profiles.c.reseller_id == reseller_id).values(
        tier=tier, tier_changed_at=uow.clock.now()))
    if result.rowcount == 0:
        uow.session.execute(reseller_profiles.insert().values(reseller_id=reseller_id, tier=tier, tier_changed_at=uow.clock.now()))
    uow.audit("reseller.tier_set", "reseller", reseller_id, {"tier": tier})
