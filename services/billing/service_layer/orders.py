"""Orders: renewal orders priced from each device's bound package (draft → confirm → pending_payment),
the effects of a paid order, and the order records customers and finance look through."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import (
    account_configs,
    companies,
    device_value_added,
    devices,
    order_items,
    orders,
    packages,
    payments,
)
from services.billing.domain import devices as device_rules
from services.billing.domain.errors import NotFound, RuleViolation, StateConflict
from services.billing.domain.money import renewal_price
from services.billing.service_layer import ledger, order_numbers
from services.billing.service_layer.companies import Caller, companies_in_scope, require_in_scope
from services.billing.service_layer.devices import visible_devices
from shared.uow import UnitOfWork

DRAFT, PENDING_PAYMENT, PAID, FAILED = "draft", "pending_payment", "paid", "failed"


def price_renewal(session: Session, caller: Caller, items: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Each device's months priced from its bound package; all in one currency. Returns (currency, lines)."""
    device_ids = [item["device_id"] for item in items]
    if len(set(device_ids)) != len(device_ids):
        raise RuleViolation("duplicate_device", "each device may appear once in an order", errors={"items": ["duplicate device_id"]})
    rows = {r.device_id: r for r in visible_devices(session, caller, device_ids)}
    codes = {r.package_code for r in rows.values() if r.package_code}
    catalog = {p.code: p for p in session.execute(select(packages).where(packages.c.code.in_(codes)))}
    lines = []
    for item in items:
        device = rows[item["device_id"]]
        if device.status != device_rules.ACTIVE:
            raise RuleViolation("device_deactivated", f"device {device.device_id} is deactivated; reactivate it first")
        package = catalog.get(device.package_code) if device.package_code else None
        if package is None:
            raise RuleViolation("device_without_package", f"device {device.device_id} has no bound package")
        amount = renewal_price(package.price_minor, package.pricing, item["months"])
        lines.append(
            {
                "device_id": device.device_id,
                "package_code": package.code,
                "months": item["months"],
                "amount_minor": amount,
                "currency": package.currency,
            }
        )
    currencies = {line.pop("currency") for line in lines}
    if len(currencies) != 1:
        raise RuleViolation("mixed_currencies", "devices priced in different currencies go in separate orders")
    return currencies.pop(), lines


def create_renewal_order(uow: UnitOfWork, caller: Caller, items: list[dict[str, Any]], *, auto: bool = False) -> dict[str, Any]:
    """A draft renewal order of the caller's company (the payer) for devices in its scope."""
    currency, lines = price_renewal(uow.session, caller, items)
    now, order_id = uow.clock.now(), str(uuid.uuid4())
    uow.session.execute(
        orders.insert().values(
            id=order_id,
            order_no=order_numbers.new("renewal", now),
            company_id=caller.company_id,
            kind="renewal",
            status=DRAFT,
            amount_minor=sum(line["amount_minor"] for line in lines),
            currency=currency,
            auto=auto,
            created_by=caller.user_id,
            created_at=now,
        )
    )
    uow.session.execute(order_items.insert(), [{"order_id": order_id, **line} for line in lines])
    return order_detail(uow.session, order_id)


def confirm_order(uow: UnitOfWork, caller: Caller, order_id: str) -> dict[str, Any]:
    """The second confirmation: draft → pending_payment (once; 409 `order_not_draft` after)."""
    require_order(uow.session, caller, order_id)
    if not transition(uow.session, order_id, DRAFT, PENDING_PAYMENT, confirmed_at=uow.clock.now()):
        raise StateConflict("order_not_draft", "only a draft order can be confirmed")
    return order_detail(uow.session, order_id)


def transition(session: Session, order_id: str, from_status: str, to_status: str, **values: Any) -> bool:
    """Guarded state change: true for exactly one of any number of racing callers."""
    result = session.execute(
        orders.update().where(orders.c.id == order_id, orders.c.status == from_status).values(status=to_status, **values)
    )
    return result.rowcount == 1


def complete_paid_order(uow: UnitOfWork, order_id: str, method: str) -> None:
    """Effects of the one transition to `paid`: extend devices, credit a top-up, activate value-added."""
    order = uow.session.execute(select(orders).where(orders.c.id == order_id)).one()
    recipient, emails = recipient_of(uow.session, order.company_id)
    if order.kind == "renewal":
        extended = extend_devices(uow, order_id)
        uow.emit(
            "billing.renewal.completed.v1",
            order_id,
            {
                "order_id": order_id,
                "order_no": order.order_no,
                "company_id": order.company_id,
                "ok": True,
                "error": None,
                "auto": bool(order.auto),
                "devices": extended,
                "amount_minor": order.amount_minor,
                "currency": order.currency,
                "recipient": recipient,
                "emails": emails,
            },
        )
    elif order.kind == "topup":
        ledger.credit(uow.session, order.company_id, order.currency, order.amount_minor, ledger.TOPUP, order_id, uow.clock.now())
    else:
        uow.session.execute(device_value_added.update().where(device_value_added.c.order_id == order_id).values(status="active"))
    uow.emit(
        "billing.order.paid.v1",
        order_id,
        {
            "order_id": order_id,
            "order_no": order.order_no,
            "company_id": order.company_id,
            "kind": order.kind,
            "amount_minor": order.amount_minor,
            "currency": order.currency,
            "method": method,
            "recipient": recipient,
            "emails": emails,
        },
    )


def extend_devices(uow: UnitOfWork, order_id: str) -> list[dict[str, str]]:
    """Each device of the order gets its months once; rows are locked so concurrent renewals add up."""
    today = uow.clock.today()
    extended = []
    for item in uow.session.execute(select(order_items).where(order_items.c.order_id == order_id).order_by(order_items.c.device_id)).all():
        device = uow.session.execute(select(devices).where(devices.c.device_id == item.device_id).with_for_update()).one()
        new_expiry = device_rules.extended_expiry(device.expires_on, item.months, today)
        uow.session.execute(devices.update().where(devices.c.device_id == item.device_id).values(expires_on=new_expiry))
        uow.session.execute(
            order_items.update().where(order_items.c.id == item.id).values(expires_before=device.expires_on, expires_after=new_expiry)
        )
        extended.append({"device_id": item.device_id, "expires_on": new_expiry.isoformat()})
    return extended


def recipient_of(session: Session, company_id: str) -> tuple[dict[str, Any] | None, list[str]]:
    """Whom to tell about a company's billing: its first notification email (all of them in `emails`)."""
    config = session.execute(select(account_configs).where(account_configs.c.company_id == company_id)).first()
    if config is None or not config.notify or not config.emails:
        return None, []
    name = session.execute(select(companies.c.name).where(companies.c.id == company_id)).scalar_one_or_none()
    return {"email": config.emails[0], "phone": None, "name": name, "language": config.language}, list(config.emails)


def require_order(session: Session, caller: Caller, order_id: str) -> Any:
    row = session.execute(select(orders).where(orders.c.id == order_id)).first()
    if row is None:
        raise NotFound("order")
    require_in_scope(session, caller, row.company_id, "order")
    return row


def order_detail(session: Session, order_id: str) -> dict[str, Any]:
    order = dict(session.execute(select(orders).where(orders.c.id == order_id)).one()._mapping)
    order["items"] = [
        dict(r._mapping) for r in session.execute(select(order_items).where(order_items.c.order_id == order_id).order_by(order_items.c.id))
    ]
    order["payments"] = [
        dict(r._mapping) for r in session.execute(select(payments).where(payments.c.order_id == order_id).order_by(payments.c.created_at))
    ]
    return order


def orders_query(session: Session, caller: Caller, filters: dict[str, Any]) -> Any:
    """Order records in the caller's scope, filtered by kind, status, method, currency and creation dates."""
    query = select(orders).order_by(orders.c.created_at.desc(), orders.c.id)
    visible = companies_in_scope(session, caller, filters.get("company_id"), filters.get("scope", "all"))
    if visible is not None:
        query = query.where(orders.c.company_id.in_(visible))
    for column in ("kind", "status", "method", "currency"):
        if filters.get(column):
            query = query.where(orders.c[column] == filters[column])
    if filters.get("from"):
        query = query.where(orders.c.created_at >= _start_of(filters["from"]))
    if filters.get("to"):
        query = query.where(orders.c.created_at < _start_of(filters["to"] + timedelta(days=1)))
    return query


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
