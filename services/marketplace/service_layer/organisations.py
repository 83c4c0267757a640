"""Read models fed by identity: organisations (resellers, dealers) and the channel users invited into them.

A reseller organisation names its application in `external_ref` (`reseller_application:<id>`); that
closes the onboarding saga here: the application is linked and the reseller's profile (tier) opened.
A dealer organisation may name a marketplace dealer record the same way (`dealer:<id>`).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from services.marketplace.adapters.orm import channel_users, dealers, organisations, reseller_applications, reseller_profiles
from shared.envelope import Event
from shared.uow import UnitOfWork

APPLICATION_REF = "reseller_application:"
DEALER_REF = "dealer:"
CHANNEL_KINDS = ("reseller", "dealer")


def record_organisation(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    values = {
        "kind": data["kind"], "name": data.get("name") or "", "parent_id": data.get("parent_id"),
        "status": data.get("status"), "contact_email": data.get("contact_email"),
        "contact_phone": data.get("contact_phone"), "external_ref": data.get("external_ref"),
        "updated_at": uow.clock.now(),
    }
    org_id = str(data["org_id"])
    exists = uow.session.execute(select(organisations.c.org_id).where(organisations.c.org_id == org_id)).first()
    if exists:
        uow.session.execute(update(organisations).where(organisations.c.org_id == org_id).values(**values))
    else:
        uow.session.execute(organisations.insert().values(org_id=org_id, **values))
    reference = values["external_ref"] or ""
    if values["kind"] == "reseller" and reference.startswith(APPLICATION_REF):
        _open_reseller(uow, org_id, reference.removeprefix(APPLICATION_REF))
    if values["kind"] == "dealer" and reference.startswith(DEALER_REF):
        dealer_id = reference.removeprefix(DEALER_REF)
        named = dealers.c.id == dealer_id, dealers.c.reseller_id == values["parent_id"]
        if uow.session.execute(select(dealers.c.id).where(*named)).first():
            # identity's record names its dealer: it wins over a link a reseller admin set on another dealer
            # (org_id is unique; leaving both would fail this event on every delivery until it is dead-lettered)
            uow.session.execute(update(dealers).where(dealers.c.org_id == org_id, dealers.c.id != dealer_id).values(org_id=None))
            uow.session.execute(update(dealers).where(*named).values(org_id=org_id))


def _open_reseller(uow: UnitOfWork, reseller_id: str, application_id: str) -> None:
    application = uow.session.execute(
        select(reseller_applications.c.id, reseller_applications.c.tier).where(reseller_applications.c.id == application_id)
    ).first()
    if application is None:
        return
    uow.session.execute(
        update(reseller_applications).where(reseller_applications.c.id == application_id).values(reseller_id=reseller_id)
    )
    profile = uow.session.execute(select(reseller_profiles.c.reseller_id).where(reseller_profiles.c.reseller_id == reseller_id)).first()
    if profile is None:
        uow.session.execute(reseller_profiles.insert().values(
            reseller_id=reseller_id, application_id=application_id, tier=application.tier or "registered",
            tier_changed_at=uow.clock.now(),
        ))


def record_invited_user(uow: UnitOfWork, event: Event) -> None:
    """Keeps the users identity invited into reseller and dealer organisations (accounts stay in identity)."""
    data: dict[str, Any] = event.data
    if data.get("org_kind") not in CHANNEL_KINDS:
        return
    user_id = str(data["user_id"])
    values = {
        "org_id": str(data["org_id"]), "org_kind": data.get("org_kind"), "email": data.get("email"),
        "name": data.get("name"), "roles": list(data.get("roles") or []), "invited_at": uow.clock.now(),
    }
    exists = uow.session.execute(select(channel_users.c.user_id).where(channel_users.c.user_id == user_id)).first()
    if exists:
        uow.session.execute(update(channel_users).where(channel_users.c.user_id == user_id).values(**values))
    else:
        uow.session.execute(channel_users.insert().values(user_id=user_id, **values))


def record_user(uow: UnitOfWork, event: Event) -> None:
    """identity.user.updated.v1: the channel user's roles, status, contacts and last sign-in follow identity.

    A summary older than the one kept (`as_of`) changes nothing, so a redelivered or overtaken event cannot
    bring a deleted or disabled user back; a deleted user stays as a row with status `deleted` for that
    reason and is left out of the lists."""
    data: dict[str, Any] = event.data
    if data.get("org_kind") not in CHANNEL_KINDS:
        return
    user_id, as_of = str(data["user_id"]), datetime.fromisoformat(str(data["as_of"]).replace("Z", "+00:00"))
    kept = uow.session.execute(select(channel_users.c.identity_as_of).where(channel_users.c.user_id == user_id)).first()
    if kept is not None and kept.identity_as_of is not None and _utc(kept.identity_as_of) > as_of:
        return
    last_login = data.get("last_login_at")
    values = {
        "org_id": str(data["org_id"]), "org_kind": data["org_kind"], "email": data.get("email"), "name": data.get("name"),
        "phone": data.get("phone"), "roles": list(data.get("roles") or []), "status": data["status"],
        "last_login_at": datetime.fromisoformat(last_login.replace("Z", "+00:00")) if last_login else None,
        "identity_as_of": as_of,
    }
    if kept is not None:
        uow.session.execute(update(channel_users).where(channel_users.c.user_id == user_id).values(**values))
    else:
        uow.session.execute(channel_users.insert().values(user_id=user_id, invited_at=uow.clock.now(), **values))


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
