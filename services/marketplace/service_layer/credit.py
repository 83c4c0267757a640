"""The credit line (账期): limit, owed and available amounts, emailed codes, monthly bills, repayments."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, select, update

from services.marketplace.adapters.orm import credit_bills, credit_codes, credit_entries, credit_lines
from services.marketplace.domain.periods import month_bounds, month_ended, previous_month
from services.marketplace.service_layer.common import day_after, new_id, period_not_ended
from shared.clock import isoformat
from shared.errors import Problem, not_found
from shared.rejections import DurableRejection
from shared.uow import UnitOfWork

CURRENCY = "CNY"
CODE_TTL = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODE_MAX_ATTEMPTS = 5
CODE_EVENT = "marketplace.credit.code_requested.v1"
OFFLINE_USE_EVENT = "marketplace.credit.used_offline.v1"


def line_of(uow: UnitOfWork, reseller_id: str) -> Any:
    line = uow.session.execute(select(credit_lines).where(credit_lines.c.reseller_id == reseller_id)).first()
    if line is None:
        raise Problem(404, "no_credit_line", "no credit line has been granted to this reseller")
    return line


def set_credit_line(uow: UnitOfWork, reseller_id: str, limit_minor: int, term_days: int) -> None:
    """Finance grants or changes a limit (1:1 with the bank guarantee); never below what is owed."""
    now = uow.clock.now()
    existing = uow.session.execute(select(credit_lines.c.reseller_id).where(credit_lines.c.reseller_id == reseller_id)).first()
    if existing is None:
        uow.session.execute(credit_lines.insert().values(
            reseller_id=reseller_id, limit_minor=limit_minor, owed_minor=0, term_days=term_days, currency=CURRENCY, updated_at=now))
    else:
        result = uow.session.execute(update(credit_lines).where(
            credit_lines.c.reseller_id == reseller_id, credit_lines.c.owed_minor <= limit_minor,
        ).values(limit_minor=limit_minor, term_days=term_days, updated_at=now))
        if result.rowcount != 1:
            raise Problem(409, "limit_below_owed", "the limit cannot be set below what is owed")
    uow.audit("credit_line.set", "reseller", reseller_id, {"limit_minor": limit_minor, "term_days": term_days})


def draw(uow: UnitOfWork, reseller_id: str, amount_minor: int, kind: str, *, order_id: str | None = None,
         reference: str | None = None) -> None:
    """Guarded increment of what is owed: never beyond the limit, also under concurrent payments."""
    line_of(uow, reseller_id)
    result = uow.session.execute(update(credit_lines).where(
        credit_lines.c.reseller_id == reseller_id, credit_lines.c.owed_minor + amount_minor <= credit_lines.c.limit_minor,
    ).values(owed_minor=credit_lines.c.owed_minor + amount_minor, updated_at=uow.clock.now()))
    if result.rowcount != 1:
        raise Problem(409, "credit_limit_exceeded", "the amount exceeds the available credit")
    _record(uow, reseller_id, kind, -amount_minor, order_id=order_id, reference=reference)


def repay(uow: UnitOfWork, reseller_id: str, bill_id: str, amount_minor: int, reference: str | None) -> None:
    result = uow.session.execute(update(credit_bills).where(
        credit_bills.c.id == bill_id, credit_bills.c.repaid_minor + amount_minor <= credit_bills.c.amount_minor,
    ).values(repaid_minor=credit_bills.c.repaid_minor + amount_minor))
    if result.rowcount != 1:
        raise Problem(409, "repayment_exceeds_bill", "the repayment exceeds what is left on the bill")
    uow.session.execute(update(credit_lines).where(credit_lines.c.reseller_id == reseller_id).values(
        owed_minor=credit_lines.c.owed_minor - amount_minor, updated_at=uow.clock.now()))
    _record(uow, reseller_id, "repayment", amount_minor, bill_id=bill_id, reference=reference)


def _record(uow: UnitOfWork, reseller_id: str, kind: str, amount: int, **refs: Any) -> None:
    line = line_of(uow, reseller_id)
    uow.session.execute(credit_entries.insert().values(
        id=new_id(), reseller_id=reseller_id, kind=kind, amount_minor=amount,
        available_after_minor=line.limit_minor - line.owed_minor, created_at=uow.clock.now(), **refs))


def record_offline_use(uow: UnitOfWork, reseller_id: str, amount_minor: int, reference: str, recipient_email: str | None) -> None:
    """Finance records a use of the credit outside the marketplace; the reseller is mailed."""
    draw(uow, reseller_id, amount_minor, "offline_use", reference=reference)
    line = line_of(uow, reseller_id)
    uow.audit("credit_line.offline_use", "reseller", reseller_id, {"amount_minor": amount_minor, "reference": reference})
    uow.emit(OFFLINE_USE_EVENT, reseller_id, {
        "reseller_id": reseller_id, "amount_minor": amount_minor, "currency": CURRENCY, "reference": reference,
        "available_minor": line.limit_minor - line.owed_minor, "owed_minor": line.owed_minor,
        "recipient": {"email": recipient_email, "phone": None, "name": None, "language": None},
    })


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def request_code(uow: UnitOfWork, reseller_id: str, user_id: str, email: str | None) -> Any:
    """Mails a 6-digit code that authorises one credit payment (the code only travels in the event)."""
    line_of(uow, reseller_id)
    if not email:
        raise Problem(409, "no_email_for_code", "no email address is known to send the code to")
    now = uow.clock.now()
    recent = uow.session.execute(select(credit_codes.c.id).where(
        credit_codes.c.user_id == user_id, credit_codes.c.created_at > now - CODE_RESEND_AFTER)).first()
    if recent:
        raise Problem(429, "code_recently_sent", "a code was sent less than a minute ago")
    code = f"{secrets.randbelow(10**6):06d}"
    expires_at = now + CODE_TTL
    uow.session.execute(credit_codes.insert().values(
        id=new_id(), reseller_id=reseller_id, user_id=user_id, code_hash=_hash(code), attempts=0, expires_at=expires_at,
        created_at=now))
    uow.emit(CODE_EVENT, reseller_id, {
        "reseller_id": reseller_id, "code": code, "expires_at": isoformat(expires_at),
        "recipient": {"email": email, "phone": None, "name": None, "language": None},
    })
    return expires_at


def use_code(uow: UnitOfWork, reseller_id: str, user_id: str, code: str) -> None:
    """The newest live code of this user must match; it is used once and dies after 5 wrong tries.

    A wrong try is counted in a transaction of its own (`DurableRejection`): the request that carries it
    answers 422 and rolls back, and a count written in it would roll back too (the code could then be
    guessed without limit). The code's row is locked while it is compared, so concurrent tries queue.
    """
    now = uow.clock.now()
    live = uow.session.execute(select(credit_codes).where(
        credit_codes.c.reseller_id == reseller_id, credit_codes.c.user_id == user_id, credit_codes.c.used_at.is_(None),
        credit_codes.c.expires_at > now, credit_codes.c.attempts < CODE_MAX_ATTEMPTS,
    ).order_by(credit_codes.c.created_at.desc()).limit(1).with_for_update()).first()
    wrong = Problem(422, "invalid_verification_code", "the verification code is wrong or expired",
                    errors={"verification_code": ["wrong or expired"]})
    if live is None:
        raise wrong
    if not secrets.compare_digest(live.code_hash, _hash(code)):
        raise DurableRejection(wrong, lambda fresh: _count_wrong_try(fresh, live.id))
    result = uow.session.execute(update(credit_codes).where(credit_codes.c.id == live.id, credit_codes.c.used_at.is_(None))
                                 .values(used_at=now))
    if result.rowcount != 1:
        raise Problem(422, "invalid_verification_code", "the verification code was already used")


def _count_wrong_try(uow: UnitOfWork, code_id: str) -> None:
    uow.session.execute(update(credit_codes).where(credit_codes.c.id == code_id, credit_codes.c.attempts < CODE_MAX_ATTEMPTS)
                        .values(attempts=credit_codes.c.attempts + 1))


def entries_query(reseller_id: str, kind: str | None) -> Select:
    query = select(credit_entries).where(credit_entries.c.reseller_id == reseller_id)
    if kind:
        query = query.where(credit_entries.c.kind == kind)
    return query.order_by(credit_entries.c.created_at.desc(), credit_entries.c.id.desc())


def bills_query(reseller_id: str) -> Select:
    return select(credit_bills).where(credit_bills.c.reseller_id == reseller_id).order_by(credit_bills.c.period.desc())


def bill_of(uow: UnitOfWork, reseller_id: str, bill_id: str) -> Any:
    bill = uow.session.execute(select(credit_bills).where(
        credit_bills.c.id == bill_id, credit_bills.c.reseller_id == reseller_id)).first()
    if bill is None:
        raise not_found("bill")
    return bill


def issue_bills(uow: UnitOfWork) -> int:
    """Job: one bill per reseller for last month's unbilled credit uses, due `term_days` after the month."""
    return issue_bills_for(uow, previous_month(uow.clock.today()))


def issue_bills_for(uow: UnitOfWork, period: str) -> int:
    """The bills of an ended month (finance may run it on demand; the job runs last month); idempotent per period."""
    if not month_ended(period, uow.clock.today()):
        raise period_not_ended(period)
    start, end = month_bounds(period)
    issued = 0
    for line in uow.session.execute(select(credit_lines)).all():
        if uow.session.execute(select(credit_bills.c.id).where(
                credit_bills.c.reseller_id == line.reseller_id, credit_bills.c.period == period)).first():
            continue
        unbilled = (credit_entries.c.reseller_id == line.reseller_id, credit_entries.c.bill_id.is_(None),
                    credit_entries.c.amount_minor < 0, credit_entries.c.created_at < day_after(end))
        used = -int(uow.session.execute(select(func.coalesce(func.sum(credit_entries.c.amount_minor), 0)).where(*unbilled)).scalar_one())
        if used == 0:
            continue
        bill_id = new_id()
        uow.session.execute(credit_bills.insert().values(
            id=bill_id, bill_no=f"ZD{period.replace('-', '')}{bill_id[:8].upper()}", reseller_id=line.reseller_id,
            period=period, period_start=start, period_end=end, amount_minor=used, repaid_minor=0,
            due_date=end + timedelta(days=line.term_days), created_at=uow.clock.now()))
        uow.session.execute(update(credit_entries).where(*unbilled).values(bill_id=bill_id))
        issued += 1
    return issued
