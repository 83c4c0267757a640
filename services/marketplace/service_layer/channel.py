"""Dealers of a reseller (经销商) and the channel users the marketplace knows of.

The accounts (invite, enable, disable, delete, edit name and phone, admin transfer) live in identity and
are changed there through the gateway; the marketplace owns the dealers' business records and lists
the users identity invited into the reseller's and its dealers' organisations.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError

from services.marketplace.adapters.orm import channel_users, dealers, organisations
from services.marketplace.service_layer.common import Channel, new_id, one_or_404
from shared.errors import Problem
from shared.uow import UnitOfWork


def add_dealer(uow: UnitOfWork, channel: Channel, data: dict[str, Any]) -> str:
    dealer_id = new_id()
    uow.session.execute(dealers.insert().values(
        id=dealer_id, reseller_id=channel.reseller_id, status="enabled", created_at=uow.clock.now(), **data))
    uow.audit("dealer.added", "dealer", dealer_id, {"name": data["name"]})
    return dealer_id


def dealer_of(uow: UnitOfWork, channel: Channel, dealer_id: str) -> Any:
    return one_or_404(uow.session, select(dealers).where(dealers.c.id == dealer_id, dealers.c.reseller_id == channel.reseller_id),
                      "dealer")


def edit_dealer(uow: UnitOfWork, channel: Channel, dealer_id: str, changes: dict[str, Any]) -> None:
    dealer_of(uow, channel, dealer_id)
    org_id = changes.get("org_id")
    if org_id is not None:
        _check_dealer_organisation(uow, channel, org_id)
        if uow.session.execute(select(dealers.c.id).where(dealers.c.org_id == org_id, dealers.c.id != dealer_id)).first():
            raise _organisation_linked()
    try:
        with uow.session.begin_nested():  # a racing edit linking the same organisation meets the unique org_id
            uow.session.execute(update(dealers).where(dealers.c.id == dealer_id).values(**changes))
    except IntegrityError:
        raise _organisation_linked() from None
    uow.audit("dealer.edited", "dealer", dealer_id, {"fields": sorted(changes)})


def _organisation_linked() -> Problem:
    return Problem(409, "dealer_organisation_linked", "this dealer organisation is already linked to another dealer",
                   errors={"org_id": ["linked to another dealer"]})


def _check_dealer_organisation(uow: UnitOfWork, channel: Channel, org_id: str) -> None:
    organisation = uow.session.execute(select(organisations).where(organisations.c.org_id == org_id)).first()
    if organisation is None or organisation.kind != "dealer" or organisation.parent_id != channel.reseller_id:
        raise Problem(422, "not_a_dealer_organisation", "org_id must be a dealer organisation of your reseller",
                      errors={"org_id": ["unknown dealer organisation"]})


DEALER_STATUS_EVENTS = {"enabled": "marketplace.dealer.enabled.v1", "disabled": "marketplace.dealer.disabled.v1"}


def set_dealer_status(uow: UnitOfWork, channel: Channel, dealer_id: str, status: str) -> None:
    """Enables or disables the dealer here and, through the event, its organisation in identity (its users'
    logins and refresh tokens); its users' access tokens are refused here at once (`channel_of`)."""
    dealer = dealer_of(uow, channel, dealer_id)
    uow.session.execute(update(dealers).where(dealers.c.id == dealer_id).values(status=status))
    uow.emit(DEALER_STATUS_EVENTS[status], dealer_id,
             {"dealer_id": dealer_id, "reseller_id": channel.reseller_id, "org_id": dealer.org_id, "status": status})
    uow.audit(f"dealer.{status}", "dealer", dealer_id)


def dealers_query(channel: Channel, q: str | None) -> Select:
    query = select(dealers).where(dealers.c.reseller_id == channel.reseller_id)
    if q:
        query = query.where(dealers.c.name.contains(q.strip(), autoescape=True))
    return query.order_by(dealers.c.created_at.desc(), dealers.c.id)


def channel_users_query(channel: Channel, q: str | None, dealer_org_id: str | None) -> Select:
    """The reseller's distributor users, or the users of one of its dealers."""
    listed = select(channel_users, (channel_users.c.status != "disabled").label("enabled"))
    if dealer_org_id is not None:
        owned = select(dealers.c.org_id).where(dealers.c.org_id == dealer_org_id, dealers.c.reseller_id == channel.reseller_id)
        query = listed.where(channel_users.c.org_id.in_(owned))
    else:
        query = listed.where(channel_users.c.org_id == channel.reseller_id)
    query = query.where(channel_users.c.status != "deleted")
    if q:
        pattern = q.strip()
        query = query.where(or_(channel_users.c.name.contains(pattern, autoescape=True),
                                channel_users.c.email.contains(pattern, autoescape=True)))
    return query.order_by(channel_users.c.invited_at.desc(), channel_users.c.user_id)
