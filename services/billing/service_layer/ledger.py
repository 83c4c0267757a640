"""Balances per company and currency, kept as a ledger.

Every change is a ledger entry plus a guarded UPDATE of the balance row in the same transaction:
a debit only happens `WHERE amount_minor >= :amount`, so concurrent payments can never take the
balance below zero (the row's CHECK constraint is the last line of defence), and the unique
(kind, reference) of an entry books each top-up, payment or refund at most once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.billing.adapters.orm import balances, ledger_entries
from services.billing.domain.errors import RuleViolation, StateConflict

TOPUP, OFFLINE_TOPUP, PAYMENT, REFUND = "topup", "offline_topup", "payment", "refund"


def credit(session: Session, company_id: str, currency: str, amount_minor: int, kind: str, reference: str, at: datetime) -> None:
    """Add money (a top-up or a refund) to the company's balance in `currency`."""
    _require_positive(amount_minor)
    _ensure_balance_row(session, company_id, currency)
    session.execute(
        balances.update()
        .where(balances.c.company_id == company_id, balances.c.currency == currency)
        .values(amount_minor=balances.c.amount_minor + amount_minor)
    )
    _book(session, company_id, currency, amount_minor, kind, reference, at)


def debit(session: Session, company_id: str, currency: str, amount_minor: int, kind: str, reference: str, at: datetime) -> None:
    """Take money for a payment; 409 `insufficient_balance` (and nothing changes) when too little is left."""
    _require_positive(amount_minor)
    taken = session.execute(
        balances.update()
        .where(
            balances.c.company_id == company_id,
            balances.c.currency == currency,
            balances.c.amount_minor >= amount_minor,
        )
        .values(amount_minor=balances.c.amount_minor - amount_minor)
    ).rowcount
    if taken != 1:
        raise StateConflict(
            "insufficient_balance",
            f"the {currency} balance is lower than {amount_minor}",
            balance_minor=balance_of(session, company_id, currency),
            currency=currency,
        )
    _book(session, company_id, currency, -amount_minor, kind, reference, at)


def balance_of(session: Session, company_id: str, currency: str) -> int:
    row = session.execute(
        select(balances.c.amount_minor).where(balances.c.company_id == company_id, balances.c.currency == currency)
    ).scalar_one_or_none()
    return int(row or 0)


def balances_of(session: Session, company_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(balances.c.currency, balances.c.amount_minor).where(balances.c.company_id == company_id).order_by(balances.c.currency)
    )
    return [{"currency": r.currency, "amount_minor": int(r.amount_minor)} for r in rows]


def ledger_total(session: Session, company_id: str, currency: str) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0)).where(
            ledger_entries.c.company_id == company_id, ledger_entries.c.currency == currency
        )
    ).scalar_one()
    return int(total)


def entries_query(company_id: str, currency: str | None) -> Any:
    query = select(ledger_entries).where(ledger_entries.c.company_id == company_id)
    if currency:
        query = query.where(ledger_entries.c.currency == currency)
    return query.order_by(ledger_entries.c.id.desc())


def _require_positive(amount_minor: int) -> None:
    if amount_minor <= 0:
        raise RuleViolation("invalid_amount", "an amount must be positive", errors={"amount_minor": ["must be > 0"]})


def _ensure_balance_row(session: Session, company_id: str, currency: str) -> None:
    """Concurrent first credits of a currency must not collide on the balance row's primary key."""
    session.execute(
        insert(balances)
        .values(company_id=company_id, currency=currency, amount_minor=0)
        .on_conflict_do_nothing(index_elements=["company_id", "currency"])
    )


def _book(session: Session, company_id: str, currency: str, amount_minor: int, kind: str, reference: str, at: datetime) -> None:
    try:
        session.execute(
            ledger_entries.insert().values(
                company_id=company_id, currency=currency, amount_minor=amount_minor, kind=kind, reference=reference, created_at=at
            )
        )
    except IntegrityError as exc:
        raise StateConflict("already_booked", f"{kind} {reference} is already in the ledger") from exc
