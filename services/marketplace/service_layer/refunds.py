"""Refunding a payment that must go back (`refund_due`: a second successful payment of one order).

Finance refunds it in full: an online payment through the provider that took it (the sandbox included),
a bank transfer by a transfer back whose reference finance records. The payment moves `refund_due →
refunded` by a guarded update (racing refunds: one wins, the other is 409), a row of `payment_refunds`
records the money going out (amount, channel, the provider's or the bank's reference, reason, who), the
audit log keeps the action, and `marketplace.payment.refunded.v1` mails the reseller.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update

from services.marketplace.adapters.orm import orders, payment_refunds, payments
from services.marketplace.adapters.refunds import RefundProvider, RefundRequest
from services.marketplace.service_layer import profiles
from services.marketplace.service_layer.common import new_id, one_or_404
from shared.errors import Problem
from shared.uow import UnitOfWork

REFUND_DUE, REFUNDED = "refund_due", "refunded"
PAYMENT_REFUNDED = "marketplace.payment.refunded.v1"


def refund_payment(uow: UnitOfWork, provider: RefundProvider, payment_id: str, reason: str, reference: str | None) -> Any:
    payment = one_or_404(uow.session, select(payments).where(payments.c.id == payment_id), "payment")
    if payment.method == "offline" and not reference:
        raise Problem(422, "refund_reference_required", "a bank transfer is refunded by a transfer back: enter its reference",
                      errors={"reference": ["required for a bank transfer"]})
    moved = uow.session.execute(update(payments).where(payments.c.id == payment_id, payments.c.status == REFUND_DUE)
                                .values(status=REFUNDED))
    if moved.rowcount != 1:
        raise Problem(409, "payment_not_refund_due", f"only a payment marked refund_due can be refunded; this one is {payment.status}",
                      payment_status=payment.status)
    if payment.method == "online":
        channel = "provider"
        refund_ref = provider.refund(RefundRequest(payment.id, payment.provider_ref, payment.amount_minor, payment.currency, reason))
    else:
        channel, refund_ref = "bank_transfer", str(reference)
    refund = {"id": new_id(), "payment_id": payment.id, "reseller_id": payment.reseller_id, "order_id": payment.order_id,
              "amount_minor": payment.amount_minor, "currency": payment.currency, "channel": channel, "refund_ref": refund_ref,
              "reason": reason, "refunded_by": uow.actor.id, "created_at": uow.clock.now()}
    uow.session.execute(payment_refunds.insert().values(**refund))
    uow.audit("payment.refunded", "payment", payment.id, {"amount_minor": payment.amount_minor, "currency": payment.currency,
                                                          "channel": channel, "refund_ref": refund_ref, "reason": reason})
    order_no = uow.session.execute(select(orders.c.order_no).where(orders.c.id == payment.order_id)).scalar()
    uow.emit(PAYMENT_REFUNDED, payment.id, {
        "reseller_id": payment.reseller_id, "payment_id": payment.id, "order_id": payment.order_id, "order_no": order_no,
        "amount_minor": payment.amount_minor, "currency": payment.currency, "channel": channel, "refund_ref": refund_ref,
        "reason": reason,
        "recipient": {"email": profiles.contact_email(uow, payment.reseller_id), "phone": None, "name": None, "language": None},
    })
    return {**payment._mapping, "status": REFUNDED, "refund": refund}


def payments_query(status: str | None, reseller_id: str | None) -> Select:
    query = select(payments)
    if status:
        query = query.where(payments.c.status == status)
    if reseller_id:
        query = query.where(payments.c.reseller_id == reseller_id)
    return query.order_by(payments.c.created_at.desc(), payments.c.id)


def refund_of(uow: UnitOfWork, payment_id: str) -> Any:
    return uow.session.execute(select(payment_refunds).where(payment_refunds.c.payment_id == payment_id)).first()
