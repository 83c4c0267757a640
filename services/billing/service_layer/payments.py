"""Paying orders: from the balance at once, or online through a provider whose signed callback
completes the payment. An order is paid at most once — the pending_payment → paid transition is a
guarded UPDATE — and a second successful online payment of an already paid order is refunded to
the company's balance."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import orders, payments
from services.billing.adapters.payment_providers import CallbackNotice, Checkout, PaymentProvider
from services.billing.domain.errors import NotFound, RuleViolation, StateConflict
from services.billing.domain.money import BALANCE, require_method_for_currency
from services.billing.service_layer import ledger, order_numbers
from services.billing.service_layer.companies import Caller
from services.billing.service_layer.orders import PAID, PENDING_PAYMENT, complete_paid_order, require_order, transition
from shared.uow import UnitOfWork

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


def pay_order(uow: UnitOfWork, caller: Caller, order_id: str, method: str, provider: PaymentProvider) -> dict[str, Any]:
    order = require_order(uow.session, caller, order_id)
    if order.status != PENDING_PAYMENT:
        raise StateConflict("order_not_payable", f"a {order.status} order cannot be paid", status_now=order.status)
    require_method_for_currency(method, order.currency)
    if method == BALANCE:
        return pay_from_balance(uow, order_id)
    return start_online_payment(uow, order, method, provider)


def pay_from_balance(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    """Order first (the guarded transition serialises racing payments), then the guarded debit."""
    now = uow.clock.now()
    if not transition(uow.session, order_id, PENDING_PAYMENT, PAID, method=BALANCE, paid_at=now):
        raise StateConflict("order_not_payable", "the order is no longer pending payment")
    order = uow.session.execute(select(orders).where(orders.c.id == order_id)).one()
    ledger.debit(uow.session, order.company_id, order.currency, order.amount_minor, ledger.PAYMENT, order_id, now)
    payment_id = str(uuid.uuid4())
    uow.session.execute(
        payments.insert().values(
            id=payment_id,
            order_id=order_id,
            method=BALANCE,
            status=SUCCEEDED,
            amount_minor=order.amount_minor,
            currency=order.currency,
            outcome="success",
            created_at=now,
            completed_at=now,
        )
    )
    complete_paid_order(uow, order_id, BALANCE)
    uow.audit("order.paid", "order", order_id, {"method": BALANCE, "amount_minor": order.amount_minor, "currency": order.currency})
    return {"order_id": order_id, "payment_id": payment_id, "status": SUCCEEDED, "order_status": PAID, "redirect_url": None}


def start_online_payment(uow: UnitOfWork, order: Any, method: str, provider: PaymentProvider) -> dict[str, Any]:
    payment_id = str(uuid.uuid4())
    uow.session.execute(
        payments.insert().values(
            id=payment_id,
            order_id=order.id,
            method=method,
            status=PENDING,
            amount_minor=order.amount_minor,
            currency=order.currency,
            created_at=uow.clock.now(),
        )
    )
    redirect_url = provider.redirect_url(Checkout(payment_id, method, order.amount_minor, order.currency))
    uow.audit("payment.started", "order", order.id, {"method": method, "payment_id": payment_id})
    return {"order_id": order.id, "payment_id": payment_id, "status": PENDING, "order_status": order.status, "redirect_url": redirect_url}


def start_topup(
    uow: UnitOfWork, caller: Caller, amount_minor: int, currency: str, method: str, provider: PaymentProvider
) -> dict[str, Any]:
    """An online top-up is a top-up order paid through a provider; the callback credits the balance."""
    if method == BALANCE:
        raise RuleViolation("method_not_allowed", "a top-up is paid online, not from the balance", errors={"method": ["not balance"]})
    require_method_for_currency(method, currency)
    now, order_id = uow.clock.now(), str(uuid.uuid4())
    uow.session.execute(
        orders.insert().values(
            id=order_id,
            order_no=order_numbers.new("topup", now),
            company_id=caller.company_id,
            kind="topup",
            status=PENDING_PAYMENT,
            amount_minor=amount_minor,
            currency=currency,
            auto=False,
            created_by=caller.user_id,
            created_at=now,
            confirmed_at=now,
        )
    )
    order = uow.session.execute(select(orders).where(orders.c.id == order_id)).one()
    return start_online_payment(uow, order, method, provider)


def record_callback(uow: UnitOfWork, notice: CallbackNotice) -> dict[str, Any]:
    """A verified provider notice. Replays change nothing; the payment settles once, the order at most once."""
    payment = uow.session.execute(select(payments).where(payments.c.id == notice.payment_id)).first()
    if payment is None:
        raise NotFound("payment")
    if (notice.amount_minor, notice.currency) != (payment.amount_minor, payment.currency):
        raise RuleViolation("callback_amount_mismatch", "the notice's amount or currency differs from the payment")
    if notice.outcome not in ("success", "failure"):
        raise RuleViolation("callback_malformed", "outcome must be success or failure")
    now = uow.clock.now()
    settled = uow.session.execute(
        payments.update()
        .where(payments.c.id == payment.id, payments.c.status == PENDING)
        .values(
            status=SUCCEEDED if notice.outcome == "success" else FAILED,
            outcome=notice.outcome,
            provider_ref=notice.provider_ref,
            completed_at=now,
        )
    ).rowcount
    if settled != 1:
        return _already_settled(uow.session, payment.id, notice.outcome)
    if notice.outcome == "failure":
        uow.audit("payment.failed", "payment", payment.id, {"order_id": payment.order_id})
        return {"payment_id": payment.id, "result": "failed"}
    if transition(uow.session, payment.order_id, PENDING_PAYMENT, PAID, method=payment.method, paid_at=now):
        complete_paid_order(uow, payment.order_id, payment.method)
        uow.audit("order.paid", "order", payment.order_id, {"method": payment.method, "payment_id": payment.id})
        return {"payment_id": payment.id, "result": "paid"}
    order = uow.session.execute(select(orders).where(orders.c.id == payment.order_id)).one()
    ledger.credit(uow.session, order.company_id, payment.currency, payment.amount_minor, ledger.REFUND, payment.id, now)
    uow.audit("payment.refunded", "payment", payment.id, {"order_id": order.id, "reason": "order already paid"})
    return {"payment_id": payment.id, "result": "refunded_to_balance"}


OUTCOME_STATUS = {"success": SUCCEEDED, "failure": FAILED}


def _already_settled(session: Session, payment_id: str, outcome: str) -> dict[str, Any]:
    """A repeated notice answers the same; a notice contradicting the settled outcome (success after failure) is a
    409 that says so: the payment stays as it was, and the payer retries with a new payment of the order."""
    payment = session.execute(select(payments).where(payments.c.id == payment_id)).one()
    if payment.outcome == outcome or payment.status == OUTCOME_STATUS[outcome]:
        return {"payment_id": payment.id, "result": "already_processed"}
    raise payment_settled(payment)


def payment_settled(payment: Any) -> StateConflict:
    retry = "start a new payment of the order to try again" if payment.status == FAILED else "nothing more to pay"
    return StateConflict(f"payment_already_{payment.status}", f"this payment already {payment.status}: {retry}",
                         payment_id=payment.id, order_id=payment.order_id, payment_status=payment.status)


def checkout_for_outcome(session: Session, payment_id: str, outcome: str) -> Checkout:
    """The checkout the payer finishes with `outcome`: a settled payment cannot change its outcome (409 at once, at the
    provider's page); the same outcome again is a replay the callback answers `already_processed`."""
    checkout = checkout_of(session, payment_id)
    payment = session.execute(select(payments).where(payments.c.id == payment_id)).one()
    if payment.status != PENDING and payment.status != OUTCOME_STATUS.get(outcome):
        raise payment_settled(payment)
    return checkout


def checkout_of(session: Session, payment_id: str) -> Checkout:
    """What the provider's checkout page shows for an online payment."""
    payment = session.execute(select(payments).where(payments.c.id == payment_id)).first()
    if payment is None or payment.method == BALANCE:
        raise NotFound("payment")
    return Checkout(payment.id, payment.method, payment.amount_minor, payment.currency)
