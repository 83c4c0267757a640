"""Paying an order (or repaying a credit bill): online via the sandbox provider, offline bank transfer, credit line."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update

from services.marketplace.adapters.orm import orders, payments
from services.marketplace.domain import orders as status
from services.marketplace.service_layer import credit
from services.marketplace.service_layer.common import Channel, new_id, one_or_404
from services.marketplace.service_layer.orders import mark_paid, order_of
from shared import links
from shared.errors import Problem
from shared.uow import UnitOfWork

SANDBOX_PATH = "/marketplace/v1/sandbox/pay/{payment_id}"  # the sandbox's API; the payer is sent to the portal's page


def _payment_page(payment_id: str) -> str:
    """`redirect_url`: absolute, at SUITE_PUBLIC_URL (`<public>/portal/pay/marketplace/<id>`), where the payer pays."""
    return links.payment_page("marketplace", payment_id)


def _new_payment(uow: UnitOfWork, reseller_id: str, method: str, amount: int, currency: str, payment_status: str,
                 **refs: Any) -> str:
    payment_id = new_id()
    uow.session.execute(payments.insert().values(
        id=payment_id, reseller_id=reseller_id, method=method, amount_minor=amount, currency=currency, status=payment_status,
        created_at=uow.clock.now(), **refs))
    return payment_id


def pay_order(uow: UnitOfWork, channel: Channel, order_id: str, method: str, details: dict[str, Any]) -> dict[str, Any]:
    order = order_of(uow, channel, order_id)
    if order.status != status.PENDING_PAYMENT:
        raise Problem(409, "order_not_payable", f"an order in status {order.status} cannot be paid")
    if method == "online":
        payment_id = _new_payment(uow, order.reseller_id, "online", order.total_minor, order.currency, "pending", order_id=order_id)
        return {"payment_id": payment_id, "status": "pending", "redirect_url": _payment_page(payment_id)}
    if method == "offline":
        return _offline_transfer(uow, order, details)
    return _pay_with_credit(uow, channel, order, details)


def _offline_transfer(uow: UnitOfWork, order: Any, details: dict[str, Any]) -> dict[str, Any]:
    transfer = details.get("transfer")
    if not transfer:
        raise Problem(422, "transfer_details_required", "enter the bank transfer details", errors={"transfer": ["required"]})
    waiting = uow.session.execute(select(payments.c.id).where(
        payments.c.order_id == order.id, payments.c.status == "awaiting_confirmation")).first()
    if waiting:
        raise Problem(409, "payment_awaiting_confirmation", "a bank transfer is already waiting for confirmation")
    payment_id = _new_payment(uow, order.reseller_id, "offline", order.total_minor, order.currency, "awaiting_confirmation",
                              order_id=order.id, transfer=_json_safe(transfer))
    uow.session.execute(update(orders).where(orders.c.id == order.id).values(payment_status="awaiting_confirmation",
                                                                             payment_method="offline"))
    return {"payment_id": payment_id, "status": "awaiting_confirmation", "redirect_url": None}


def _pay_with_credit(uow: UnitOfWork, channel: Channel, order: Any, details: dict[str, Any]) -> dict[str, Any]:
    code = details.get("verification_code")
    if not code:
        raise Problem(422, "verification_code_required", "paying with credit needs the emailed verification code",
                      errors={"verification_code": ["required"]})
    credit.use_code(uow, order.reseller_id, channel.user_id, code)
    if order.currency != credit.CURRENCY:
        raise Problem(422, "credit_currency_mismatch", f"the credit line is in {credit.CURRENCY}")
    credit.draw(uow, order.reseller_id, order.total_minor, "purchase", order_id=order.id, reference=order.order_no)
    payment_id = _new_payment(uow, order.reseller_id, "credit", order.total_minor, order.currency, "succeeded",
                              order_id=order.id, completed_at=uow.clock.now())
    if not mark_paid(uow, order.id, "credit"):
        raise Problem(409, "order_not_payable", "the order was paid or cancelled meanwhile")
    return {"payment_id": payment_id, "status": "succeeded", "redirect_url": None}


def repay_bill(uow: UnitOfWork, channel: Channel, bill_id: str, method: str, amount_minor: int | None,
               transfer: dict[str, Any] | None) -> dict[str, Any]:
    bill = credit.bill_of(uow, channel.reseller_id, bill_id)
    left = bill.amount_minor - bill.repaid_minor
    amount = amount_minor or left
    if left == 0 or amount > left:
        raise Problem(409, "repayment_exceeds_bill", "the repayment exceeds what is left on the bill", left_minor=left)
    if method == "online":
        payment_id = _new_payment(uow, channel.reseller_id, "online", amount, credit.CURRENCY, "pending", bill_id=bill_id)
        return {"payment_id": payment_id, "status": "pending", "redirect_url": _payment_page(payment_id)}
    if not transfer:
        raise Problem(422, "transfer_details_required", "enter the bank transfer details", errors={"transfer": ["required"]})
    payment_id = _new_payment(uow, channel.reseller_id, "offline", amount, credit.CURRENCY, "awaiting_confirmation",
                              bill_id=bill_id, transfer=_json_safe(transfer))
    return {"payment_id": payment_id, "status": "awaiting_confirmation", "redirect_url": None}


def _json_safe(transfer: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in transfer.items()}


def sandbox_notification(uow: UnitOfWork, payment_id: str, outcome: str) -> dict[str, Any]:
    """What the sandbox provider will report for a pending online payment."""
    payment = one_or_404(uow.session, select(payments).where(payments.c.id == payment_id, payments.c.method == "online"), "payment")
    if payment.status != "pending":
        raise Problem(409, "payment_not_pending", f"this payment is {payment.status}{_retry_hint(payment.status)}",
                      payment_id=payment.id, payment_status=payment.status, order_id=payment.order_id)
    return {"payment_id": payment.id, "outcome": outcome, "amount_minor": payment.amount_minor, "currency": payment.currency,
            "provider_ref": "SBX" + secrets.token_hex(8).upper()}


def record_notification(uow: UnitOfWork, notification: dict[str, Any]) -> str:
    """Applies a verified provider callback once; a repeated callback changes nothing and answers the same."""
    payment = one_or_404(uow.session, select(payments).where(payments.c.id == notification["payment_id"]), "payment")
    if payment.status != "pending":
        return _already_settled(payment, notification["outcome"])
    if notification["amount_minor"] != payment.amount_minor or notification["currency"] != payment.currency:
        raise Problem(422, "amount_mismatch", "the notified amount differs from the payment")
    outcome = "succeeded" if notification["outcome"] == "success" else "failed"
    result = uow.session.execute(update(payments).where(payments.c.id == payment.id, payments.c.status == "pending").values(
        status=outcome, provider_ref=notification.get("provider_ref"), completed_at=uow.clock.now()))
    if result.rowcount != 1:
        return _already_settled(uow.session.execute(select(payments).where(payments.c.id == payment.id)).one(),
                                notification["outcome"])
    if outcome == "succeeded":
        return _settle(uow, payment)
    return outcome


SETTLED_BY = {"success": ("succeeded", "refund_due", "refunded"), "failure": ("failed",)}


def _retry_hint(payment_status: str) -> str:
    return ": start a new payment of the order to try again" if payment_status == "failed" else ""


def _already_settled(payment: Any, outcome: str) -> str:
    """A repeated notification answers the state it left; one contradicting it (success after failure) is 409 and
    changes nothing: the payer retries with a new payment of the order."""
    if payment.status in SETTLED_BY.get(outcome, ()):
        return str(payment.status)
    raise Problem(409, f"payment_already_{payment.status}", f"this payment already {payment.status}{_retry_hint(payment.status)}",
                  payment_id=payment.id, payment_status=payment.status, order_id=payment.order_id)


def _settle(uow: UnitOfWork, payment: Any) -> str:
    """A succeeded payment pays its order or repays its bill; a second payment of a paid order is flagged."""
    if payment.bill_id:
        credit.repay(uow, payment.reseller_id, payment.bill_id, payment.amount_minor, payment.id)
        return "succeeded"
    if mark_paid(uow, payment.order_id, payment.method):
        return "succeeded"
    uow.session.execute(update(payments).where(payments.c.id == payment.id).values(status="refund_due"))
    return "refund_due"


def review_transfer(uow: UnitOfWork, payment_id: str, decision: str, comment: str | None) -> str:
    """Finance confirms (or rejects) an offline bank transfer once."""
    payment = one_or_404(uow.session, select(payments).where(payments.c.id == payment_id), "payment")
    outcome = "succeeded" if decision == "confirm" else "rejected"
    result = uow.session.execute(update(payments).where(
        payments.c.id == payment_id, payments.c.status == "awaiting_confirmation").values(status=outcome, completed_at=uow.clock.now()))
    if result.rowcount != 1:
        raise Problem(409, "payment_not_awaiting_confirmation", f"this payment is {payment.status}")
    uow.audit(f"payment.transfer_{outcome}", "payment", payment_id, {"comment": comment})
    if outcome == "succeeded":
        return _settle(uow, payment)
    if payment.order_id:
        uow.session.execute(update(orders).where(orders.c.id == payment.order_id).values(payment_status="unpaid"))
    return outcome
