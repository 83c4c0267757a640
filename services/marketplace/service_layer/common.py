"""What every handler needs: new ids, row lookups that 404, and the caller's sales channel."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.marketplace.adapters.orm import channel_users, dealers, organisations
from shared.auth import Principal
from shared.errors import Problem, not_found

RESELLER_ROLES = ("reseller_admin", "reseller_user", "dealer_user")


def period_not_ended(period: str) -> Problem:
    """422 for a job run on demand for a period that has not ended (its snapshot would be taken early)."""
    return Problem(422, "period_not_ended", f"{period} has not ended yet: runs are for ended periods only",
                   errors={"period": ["not ended yet"]})


def new_id() -> str:
    return str(uuid.uuid4())


def day_start(day: date) -> datetime:
    """Midnight UTC opening `day` (stored times are UTC)."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def one_or_404(session: Session, query: Any, what: str) -> Any:
    row = session.execute(query).first()
    if row is None:
        raise not_found(what)
    return row


@dataclass(frozen=True)
class Channel:
    """Who sells: the reseller organisation, and the dealer organisation when a dealer user acts."""

    reseller_id: str
    dealer_org_id: str | None
    user_id: str
    email: str | None

    def owns(self, reseller_id: str, dealer_org_id: str | None) -> bool:
        """Reseller staff see all of their reseller's records; dealer users only their dealer's."""
        if reseller_id != self.reseller_id:
            return False
        return self.dealer_org_id is None or dealer_org_id == self.dealer_org_id


def channel_of(session: Session, principal: Principal) -> Channel:
    """Access tokens carry no email: the user's address comes from identity's invitation (read model)."""
    email = principal.claims.get("email") or session.execute(
        select(channel_users.c.email).where(channel_users.c.user_id == principal.sub)).scalar()
    if principal.org_kind == "reseller" and principal.org_id:
        _refuse_disabled(session, principal.org_id)
        return Channel(principal.org_id, None, principal.sub, email)
    if principal.org_kind == "dealer" and principal.org_id:
        parent = session.execute(select(organisations.c.parent_id).where(organisations.c.org_id == principal.org_id)).scalar()
        if parent:
            _refuse_disabled(session, principal.org_id, parent)
            return Channel(parent, principal.org_id, principal.sub, email)
        raise Problem(403, "dealer_not_known_yet", "your dealer organisation is not known to the marketplace yet")
    raise Problem(403, "forbidden", "only reseller and dealer users buy on the marketplace")


def _refuse_disabled(session: Session, *org_ids: str) -> None:
    """Access tokens live 15 minutes after identity disabled their organisation: the marketplace refuses them at
    once when the organisation (or its reseller) is disabled in its read model, or the dealer is disabled here."""
    disabled = session.execute(select(organisations.c.org_id).where(
        organisations.c.org_id.in_(org_ids), organisations.c.status == "disabled")).first()
    if disabled is None and len(org_ids) == 2:
        disabled = session.execute(select(dealers.c.id).where(dealers.c.org_id == org_ids[0], dealers.c.status == "disabled")).first()
    if disabled is not None:
        raise Problem(403, "organisation_disabled", "your organisation is disabled")


def scoped(query: Any, table: Any, channel: Channel) -> Any:
    """Restricts a select on a table with reseller_id/dealer_org_id columns to the channel's rows."""
    query = query.where(table.c.reseller_id == channel.reseller_id)
    if channel.dealer_org_id is not None:
        query = query.where(table.c.dealer_org_id == channel.dealer_org_id)
    return query
