"""The rebate balance ledger (可抵扣优惠金额): half-yearly rewards by tier, spending at checkout, refunds."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select, update

from services.marketplace.adapters.orm import orders, rebate_accounts, rebate_entries, reseller_profiles
from services.marketplace.domain.orders import SOLD
from services.marketplace.domain.periods import half_year_bounds, half_year_ended, previous_half_year
from services.marketplace.domain.tiers import rebate_for
from services.marketplace.service_layer.common import day_after, day_start, new_id, one_or_404, period_not_ended
from shared.errors import Problem
from shared.uow import UnitOfWork

CURRENCY = "CNY"


def balance_of(uow: UnitOfWork, reseller_id: str) -> int:
    balance = uow.session.execute(
        select(rebate_accounts.c.balance_minor).where(rebate_accounts.c.reseller_id == reseller_id)).scalar()
    return balance or 0


def _ensure_account(uow: UnitOfWork, reseller_id: str) -> None:
    exists = uow.session.execute(select(rebate_accounts.c.reseller_id).where(rebate_accounts.c.reseller_id == reseller_id)).first()
    if exists is None:
        uow.session.execute(rebate_accounts.insert().values(reseller_id=reseller_id, balance_minor=0, currency=CURRENCY))


def _record(uow: UnitOfWork, reseller_id: str, kind: str, amount: int, order_id: str | None, period: str | None,
            reason: str | None = None) -> str:
    entry_id = new_id()
    uow.session.execute(rebate_entries.insert().values(
        id=entry_id, reseller_id=reseller_id, kind=kind, amount_minor=amount, balance_after_minor=balance_of(uow, reseller_id),
        order_id=order_id, period=period, reason=reason, created_by=uow.actor.id if reason else None, created_at=uow.clock.now()))
    return entry_id


def spend(uow: UnitOfWork, reseller_id: str, amount_minor: int, order_id: str) -> None:
    """Guarded decrement: never below zero, also when orders of one reseller race."""
    result = uow.session.execute(update(rebate_accounts).where(
        rebate_accounts.c.reseller_id == reseller_id, rebate_accounts.c.balance_minor >= amount_minor,
    ).values(balance_minor=rebate_accounts.c.balance_minor - amount_minor))
    if result.rowcount != 1:
        raise Problem(409, "insufficient_rebate_balance", "the rebate amount exceeds your rebate balance",
                      balance_minor=balance_of(uow, reseller_id))
    _record(uow, reseller_id, "spend", -amount_minor, order_id, None)


def credit(uow: UnitOfWork, reseller_id: str, amount_minor: int, kind: str, *, order_id: str | None = None,
           period: str | None = None) -> None:
    _ensure_account(uow, reseller_id)
    uow.session.execute(update(rebate_accounts).where(rebate_accounts.c.reseller_id == reseller_id).values(
        balance_minor=rebate_accounts.c.balance_minor + amount_minor))
    _record(uow, reseller_id, kind, amount_minor, order_id, period)


def refund_for_order(uow: UnitOfWork, reseller_id: str, order_id: str, amount_minor: int) -> None:
    if amount_minor > 0:
        credit(uow, reseller_id, amount_minor, "refund", order_id=order_id)


def entries_query(reseller_id: str, kind: str | None) -> Select:
    query = select(rebate_entries).where(rebate_entries.c.reseller_id == reseller_id)
    if kind:
        query = query.where(rebate_entries.c.kind == kind)
    return query.order_by(rebate_entries.c.created_at.desc(), rebate_entries.c.id.desc())


def reward_half_year(uow: UnitOfWork) -> int:
    """Job: credit each reseller's rebate for the last completed half-year once (the period is unique)."""
    return reward_period(uow, previous_half_year(uow.clock.today()))


def reward_period(uow: UnitOfWork, period: str) -> int:
    """The rewards of an ended half-year (`2026-H1`; finance may run it on demand); each reseller once per period."""
    if not half_year_ended(period, uow.clock.today()):
        raise period_not_ended(period)
    start, end = half_year_bounds(period)
    rewarded = 0
    for profile in uow.session.execute(select(reseller_profiles.c.reseller_id, reseller_profiles.c.tier)).all():
        done = uow.session.execute(select(rebate_entries.c.id).where(
            rebate_entries.c.reseller_id == profile.reseller_id, rebate_entries.c.period == period)).first()
        if done:
            continue
        sales = uow.session.execute(select(func.coalesce(func.sum(orders.c.total_minor), 0)).where(
            orders.c.reseller_id == profile.reseller_id, orders.c.status.in_(SOLD), orders.c.currency == CURRENCY,
            orders.c.paid_at >= day_start(start), orders.c.paid_at < day_after(end))).scalar_one()
        amount = rebate_for(profile.tier, int(sales))
        if amount > 0:
            credit(uow, profile.reseller_id, amount, "reward", period=period)
            rewarded += 1
    return rewarded


def adjust(uow: UnitOfWork, reseller_id: str, amount_minor: int, reason: str) -> Any:
    """Finance's manual adjustment (kind `adjustment`, signed, with a reason, audited): a credit, or a debit that never
    takes the balance below zero (409 `insufficient_rebate_balance`)."""
    one_or_404(uow.session, select(reseller_profiles).where(reseller_profiles.c.reseller_id == reseller_id), "reseller")
    _ensure_account(uow, reseller_id)
    result = uow.session.execute(update(rebate_accounts).where(
        rebate_accounts.c.reseller_id == reseller_id, rebate_accounts.c.balance_minor + amount_minor >= 0,
    ).values(balance_minor=rebate_accounts.c.balance_minor + amount_minor))
    if result.rowcount != 1:
        raise Problem(409, "insufficient_rebate_balance", "the adjustment would take the rebate balance below zero",
                      balance_minor=balance_of(uow, reseller_id))
    entry_id = _record(uow, reseller_id, "adjustment", amount_minor, None, None, reason)
    uow.audit("rebate.adjusted", "reseller", reseller_id, {"amount_minor": amount_minor, "reason": reason, "entry_id": entry_id})
    return uow.session.execute(select(rebate_entries).where(rebate_entries.c.id == entry_id)).one()
