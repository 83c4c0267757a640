"""Orders after checkout: search, details, cancel, invoice request, payment completion and milestones."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, or_, select, update

from services.marketplace.adapters.orm import order_lines, order_milestones, orders, payments, solutions
from services.marketplace.domain import orders as status
from services.marketplace.service_layer import coupons, rebate
from services.marketplace.service_layer.common import Channel, new_id, one_or_404, scoped
from services.marketplace.service_layer.profiles import contact_email
from shared.envelope import Event
from shared.errors import Problem
from shared.uow import UnitOfWork

PAID_EVENT = "marketplace.order.paid.v1"


def order_of(uow: UnitOfWork, channel: Channel | None, order_id: str) -> Any:
    """The order when the channel owns it (None: platform staff, who see every order)."""
    query = select(orders).where(orders.c.id == order_id)
    if channel is not None:
        query = scoped(query, orders, channel)
    return one_or_404(uow.session, query, "order")


def orders_query(channel: Channel | None, q: str | None, order_status: str | None, since: date | None, until: date | None) -> Select:
    """Search by order number, customer (name, company) or salesperson (the buyer's email)."""
    query = select(orders) if channel is None else scoped(select(orders), orders, channel)
    if q:
        pattern = q.strip()
        query = query.where(or_(orders.c.order_no.contains(pattern, autoescape=True),
                                orders.c.customer_label.contains(pattern.lower(), autoescape=True),
                                orders.c.buyer_email.contains(pattern, autoescape=True)))
    if order_status:
        query = query.where(orders.c.status == order_status)
    if since:
        query = query.where(orders.c.created_at >= since)
    if until:
        query = query.where(orders.c.created_at < until + timedelta(days=1))
    return query.order_by(orders.c.created_at.desc(), orders.c.order_no.desc())


def lines_of(uow: UnitOfWork, order_ids: list[str]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {order_id: [] for order_id in order_ids}
    for line in uow.session.execute(select(order_lines).where(order_lines.c.order_id.in_(order_ids)).order_by(order_lines.c.sku_code)):
        grouped[line.order_id].append(line)
    return grouped


def milestones_of(uow: UnitOfWork, order_id: str) -> list[Any]:
    progress = case({name: rank for rank, name in enumerate(status.STATUSES)}, value=order_milestones.c.status)
    return list(uow.session.execute(select(order_milestones).where(order_milestones.c.order_id == order_id)
                                    .order_by(order_milestones.c.at, progress)))


def payments_of(uow: UnitOfWork, order_id: str) -> list[Any]:
    return list(uow.session.execute(select(payments).where(payments.c.order_id == order_id).order_by(payments.c.created_at)))


def add_milestone(uow: UnitOfWork, order_id: str, new_status: str, note: str | None = None) -> None:
    uow.session.execute(order_milestones.insert().values(
        id=new_id(), order_id=order_id, status=new_status, note=note or status.milestone_label(new_status),
        actor_id=uow.actor.id, at=uow.clock.now()))


def _move(uow: UnitOfWork, order_id: str, current: str, target: str, **values: Any) -> bool:
    result = uow.session.execute(update(orders).where(orders.c.id == order_id, orders.c.status == current).values(
        status=target, **values))
    return result.rowcount == 1


def cancel_order(uow: UnitOfWork, channel: Channel, order_id: str) -> None:
    """Only before payment; the coupon becomes unused again and the rebate returns to the balance."""
    order = order_of(uow, channel, order_id)
    waiting = uow.session.execute(select(payments.c.id).where(
        payments.c.order_id == order_id, payments.c.status == "awaiting_confirmation")).first()
    if waiting:
        raise Problem(409, "payment_awaiting_confirmation", "a bank transfer is waiting for confirmation")
    if not _move(uow, order_id, status.PENDING_PAYMENT, status.CANCELLED):
        raise Problem(409, "order_not_cancellable", f"an order in status {order.status} cannot be cancelled")
    coupons.release_coupon(uow, order_id)
    rebate.refund_for_order(uow, order.reseller_id, order_id, order.rebate_minor)
    uow.session.execute(update(payments).where(payments.c.order_id == order_id, payments.c.status == "pending")
                        .values(status="cancelled"))
    add_milestone(uow, order_id, status.CANCELLED)


def request_invoice(uow: UnitOfWork, channel: Channel, order_id: str, invoice: dict[str, Any]) -> None:
    order = order_of(uow, channel, order_id)
    if order.status not in status.SOLD:
        raise Problem(409, "order_not_paid", "an invoice can be requested once the order is paid")
    result = uow.session.execute(update(orders).where(orders.c.id == order_id, orders.c.invoice.is_(None)).values(
        invoice={**invoice, "requested_at": uow.clock.now().isoformat(), "status": "requested"}))
    if result.rowcount != 1:
        raise Problem(409, "invoice_already_requested", "an invoice has already been requested for this order")


def mark_paid(uow: UnitOfWork, order_id: str, method: str) -> bool:
    """pending_payment → processing once; emits marketplace.order.paid.v1 for delivery and the receipt."""
    if not _move(uow, order_id, status.PENDING_PAYMENT, status.PROCESSING, payment_status="paid", payment_method=method,
                 paid_at=uow.clock.now()):
        return False
    order = order_of(uow, None, order_id)
    lines = lines_of(uow, [order_id])[order_id]
    for line in lines:
        uow.session.execute(update(solutions).where(solutions.c.id == line.solution_id).values(
            sales_count=solutions.c.sales_count + line.quantity))
    add_milestone(uow, order_id, status.PROCESSING)
    recipient_email = order.buyer_email or contact_email(uow, order.reseller_id)
    uow.emit(PAID_EVENT, order_id, paid_event_data(order, lines, uow.clock.today(), recipient_email),
             tenant_id=order.customer.get("tenant_id"))
    return True


def paid_event_data(order: Any, lines: list[Any], today: date, recipient_email: str | None) -> dict[str, Any]:
    return {
        "order_id": order.id, "order_no": order.order_no, "reseller_id": order.reseller_id,
        "customer_id": order.customer_id, "tenant_id": order.customer.get("tenant_id"),
        "total_minor": order.total_minor, "currency": order.currency, "method": order.payment_method,
        "entitlement_lines": entitlement_lines(lines, today),
        "recipient": {"email": recipient_email, "phone": None, "name": None, "language": None},
    }


def entitlement_lines(lines: list[Any], today: date) -> list[dict[str, Any]]:
    """Each SKU's solution mapping × the quantity bought, valid from the payment day for its months."""
    result = []
    for line in lines:
        for mapping in line.entitlements:
            valid_to = _add_months(today, int(mapping["months"])) - timedelta(days=1)
            result.append({"product_code": mapping["product_code"], "quantity": int(mapping["quantity"]) * line.quantity,
                           "valid_from": today.isoformat(), "valid_to": valid_to.isoformat()})
    return result


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def advance(uow: UnitOfWork, order_id: str, target: str, note: str | None) -> None:
    """Platform staff record delivery milestones: processing → delivered → completed."""
    order = order_of(uow, None, order_id)
    if not status.can_move(order.status, target) or target == status.CANCELLED:
        raise Problem(409, "invalid_status_change", f"an order in status {order.status} cannot become {target}")
    if not _move(uow, order_id, order.status, target):
        raise Problem(409, "invalid_status_change", "the order changed meanwhile; reload it")
    add_milestone(uow, order_id, target, note)
    uow.audit(f"order.{target}", "order", order_id, {"note": note})


ENTITLEMENT_ORDER_DELIVERED = "entitlements.order.delivered.v1"
ENTITLEMENT_ORDER_ACTIVATED = "entitlements.order.activated.v1"


def on_entitlement_order(uow: UnitOfWork, event: Event) -> None:
    """MKT-7's saga, last steps: entitlements delivered the order to the customer's tenant → delivered; the tenant
    activated it → completed (the buyer may then review). Only orders this marketplace sold (`source_ref`); a
    re-sent activation, or a step staff already recorded, changes nothing. An activation that overtakes its
    delivery (a redelivered event) records both steps."""
    data = event.data
    if data.get("source") != "marketplace" or not data.get("source_ref"):
        return
    order_id = str(data["source_ref"])
    if uow.session.execute(select(orders.c.id).where(orders.c.id == order_id)).first() is None:
        return
    steps = [(status.PROCESSING, status.DELIVERED, f"entitlement order {data['order_no']} delivered to the customer")]
    if event.type == ENTITLEMENT_ORDER_ACTIVATED:
        steps.append((status.DELIVERED, status.COMPLETED, f"entitlement order {data['order_no']} activated by the customer"))
    for current, target, note in steps:
        if _move(uow, order_id, current, target):
            add_milestone(uow, order_id, target, note)
            uow.audit(f"order.{target}", "order", order_id, {"note": note, "entitlement_order_id": data["order_id"]})
