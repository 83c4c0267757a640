"""Orders delivered to tenants (ENT-2), their operation keys, and activation (ENT-3)."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import operation_keys, order_lines, orders, products
from services.entitlements.domain import orders as rules
from services.entitlements.service_layer.policy import Policy
from services.entitlements.service_layer.products import products_by_code
from services.entitlements.service_layer.tenants import find_tenant, recipient_of
from shared.clock import isoformat
from shared.errors import Problem, not_found, validation
from shared.uow import UnitOfWork

ORDER_DELIVERED = "entitlements.order.delivered.v1"
ORDER_ACTIVATED = "entitlements.order.activated.v1"


def line_view(line: Mapping[str, Any], product_name: str | None) -> dict[str, Any]:
    is_seat = line["kind"] == "seat"
    return {
        "id": line["id"],
        "product_code": line["product_code"],
        "product_name": product_name,
        "kind": line["kind"],
        "service_group": line["service_group"],
        "quantity": line["quantity"],
        "allocated": line["allocated"] if is_seat else None,
        "unallocated": line["quantity"] - line["allocated"] if is_seat else None,
        "remaining": None if is_seat else line["remaining"],
        "valid_from": line["valid_from"].isoformat(),
        "valid_to": line["valid_to"].isoformat(),
        "serial_number": line["serial_number"],
        "activated": bool(line["activated"]),
    }


def order_view(session: Session, order: Mapping[str, Any]) -> dict[str, Any]:
    rows = session.execute(
        select(order_lines, products.c.name.label("product_name"))
        .join(products, products.c.code == order_lines.c.product_code)
        .where(order_lines.c.order_id == order["id"])
        .order_by(order_lines.c.serial_number)
    ).all()
    return {
        "id": order["id"],
        "order_no": order["order_no"],
        "tenant_id": order["tenant_id"],
        "source": order["source"],
        "source_ref": order["source_ref"],
        "status": order["status"],
        "erp": order["erp"],
        "deployment": order["deployment"],
        "activated_at": order["activated_at"],
        "created_at": order["created_at"],
        "lines": [line_view(row._mapping, row.product_name) for row in rows],
    }


def _line_values(order_id: str, tenant_id: str, line: Mapping[str, Any], product: Any, today: date) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "order_id": order_id,
        "tenant_id": tenant_id,
        "product_code": product.code,
        "kind": product.kind,
        "service_group": product.service_group,
        "quantity": line["quantity"],
        "allocated": 0,
        "remaining": line["quantity"] if product.kind == "traffic" else 0,
        "valid_from": line["valid_from"],
        "valid_to": line["valid_to"],
        "serial_number": line.get("serial_number") or rules.new_serial_number(today),
        "activated": False,
    }


def _check_lines(session: Session, lines: list[Mapping[str, Any]]) -> dict[str, Any]:
    known = products_by_code(session, {line["product_code"] for line in lines})
    errors: dict[str, list[str]] = {}
    serials = [line.get("serial_number") for line in lines if line.get("serial_number")]
    taken = set(
        session.execute(select(order_lines.c.serial_number).where(order_lines.c.serial_number.in_(serials))).scalars()
    ) if serials else set()
    for index, line in enumerate(lines):
        if line["product_code"] not in known:
            errors[f"lines.{index}.product_code"] = ["unknown product"]
        try:
            rules.check_line_dates(line["valid_from"], line["valid_to"])
        except rules.LineRuleBroken as broken:
            errors[f"lines.{index}.{broken.field}"] = [str(broken)]
        serial = line.get("serial_number")
        if serial and (serial in taken or serials.count(serial) > 1):
            errors[f"lines.{index}.serial_number"] = ["this serial number is already used"]
    if errors:
        raise validation(errors)
    return known


def deliver_order(
    uow: UnitOfWork,
    policy: Policy,
    *,
    tenant_id: str,
    lines: list[Mapping[str, Any]],
    source: str,
    source_ref: str | None = None,
    allow_unknown_tenant: bool = False,
) -> dict[str, Any]:
    """Records the order and its lines and mails (through the notifier) a fresh operation key.

    The key goes to the tenant contact; for a tenant not yet in the read model (allowed for marketplace
    orders) the recipient is left empty and the notifier resolves the tenant's address itself.
    """
    tenant = find_tenant(uow.session, tenant_id)
    if tenant is None and not allow_unknown_tenant:
        raise Problem(422, "unknown_tenant", "no tenant with this id is known (yet)", errors={"tenant_id": ["unknown tenant"]})
    known = _check_lines(uow.session, lines)
    now, today = uow.clock.now(), uow.clock.today()
    order = {
        "id": str(uuid.uuid4()),
        "order_no": rules.new_order_no(today),
        "tenant_id": tenant_id,
        "source": source,
        "source_ref": source_ref,
        "status": "delivered",
        "erp": None,
        "deployment": None,
        "activated_at": None,
        "activated_by": None,
        "created_at": now,
        "created_by": uow.actor.id,
    }
    uow.session.execute(orders.insert().values(**order))
    uow.session.execute(
        order_lines.insert(), [_line_values(order["id"], tenant_id, line, known[line["product_code"]], today) for line in lines]
    )
    view = order_view(uow.session, order)
    _send_operation_key(uow, policy, view, recipient_of(tenant), resent=False)
    uow.audit("order.delivered", "order", order["id"], {"order_no": order["order_no"], "source": source})
    return view


def _send_operation_key(uow: UnitOfWork, policy: Policy, view: dict[str, Any], recipient: Any, *, resent: bool) -> None:
    key = rules.new_operation_key()
    uow.session.execute(
        operation_keys.insert().values(key_hash=rules.hash_operation_key(key), order_id=view["id"], issued_at=uow.clock.now())
    )
    uow.emit(
        ORDER_DELIVERED,
        view["id"],
        {
            "tenant_id": view["tenant_id"],
            "order_id": view["id"],
            "order_no": view["order_no"],
            "source": view["source"],
            "source_ref": view["source_ref"],
            "lines": [
                {name: line[name] for name in ("id", "product_code", "product_name", "kind", "service_group", "quantity",
                                               "valid_from", "valid_to", "serial_number")}
                for line in view["lines"]
            ],
            "activation_url": policy.activation_url(view["order_no"]),
            "operation_key": key,
            "recipient": recipient,
            "resent": resent,
        },
        tenant_id=view["tenant_id"],
    )


def resend_activation(uow: UnitOfWork, policy: Policy, order_id: str) -> dict[str, Any]:
    """Revokes the unused keys of a not yet activated order and mails a new one."""
    order = _order(uow.session, order_id)
    if order is None:
        raise not_found("order")
    if order.status != "delivered":
        raise Problem(409, "order_already_activated", "this order is activated; its key is no longer needed")
    now = uow.clock.now()
    uow.session.execute(
        update(operation_keys)
        .where(operation_keys.c.order_id == order_id, operation_keys.c.used_at.is_(None), operation_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    view = order_view(uow.session, order._mapping)
    _send_operation_key(uow, policy, view, recipient_of(find_tenant(uow.session, order.tenant_id)), resent=True)
    uow.audit("order.activation_resent", "order", order_id, {"order_no": order.order_no})
    return view


def _order(session: Session, order_id: str) -> Any:
    return session.execute(select(orders).where(orders.c.id == order_id)).first()


def activate_order(uow: UnitOfWork, *, tenant_id: str, operation_key: str, erp: str, deployment: str) -> dict[str, Any]:
    """Uses the key once (a guarded update, so two racing activations cannot both win)."""
    key_hash = rules.hash_operation_key(operation_key)
    key = uow.session.execute(
        select(operation_keys.c.order_id, operation_keys.c.used_at, operation_keys.c.revoked_at, orders.c.tenant_id)
        .join(orders, orders.c.id == operation_keys.c.order_id)
        .where(operation_keys.c.key_hash == key_hash)
    ).first()
    if key is None or key.tenant_id != tenant_id:
        raise Problem(422, "invalid_operation_key", "this operation key is not valid", errors={"operation_key": ["unknown key"]})
    if key.revoked_at is not None:
        raise Problem(422, "operation_key_replaced", "a newer operation key was sent for this order",
                      errors={"operation_key": ["replaced by a newer key"]})
    now = uow.clock.now()
    used = uow.session.execute(
        update(operation_keys)
        .where(operation_keys.c.key_hash == key_hash, operation_keys.c.used_at.is_(None), operation_keys.c.revoked_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:
        raise Problem(422, "operation_key_used", "this operation key was already used", errors={"operation_key": ["already used"]})
    uow.session.execute(
        update(orders)
        .where(orders.c.id == key.order_id)
        .values(status="activated", erp=erp, deployment=deployment, activated_at=now, activated_by=uow.actor.id)
    )
    uow.session.execute(update(order_lines).where(order_lines.c.order_id == key.order_id).values(activated=True))
    uow.audit("order.activated", "order", key.order_id, {"erp": erp, "deployment": deployment})
    view = order_view(uow.session, _order(uow.session, key.order_id)._mapping)
    uow.emit(
        ORDER_ACTIVATED,
        view["id"],
        {
            "tenant_id": view["tenant_id"], "order_id": view["id"], "order_no": view["order_no"], "source": view["source"],
            "source_ref": view["source_ref"], "erp": erp, "deployment": deployment, "activated_at": isoformat(now),
        },
        tenant_id=view["tenant_id"],
    )
    return view


def get_order(session: Session, order_id: str, tenant_id: str | None) -> dict[str, Any]:
    """`tenant_id` None means platform staff (every tenant)."""
    order = _order(session, order_id)
    if order is None or (tenant_id is not None and order.tenant_id != tenant_id):
        raise not_found("order")
    return order_view(session, order._mapping)


def unallocated_orders_query(tenant_id: str, today: date) -> Any:
    """Orders with a valid seat line that still has unallocated seats (seed 000's 交易订单)."""
    open_lines = (
        select(order_lines.c.order_id)
        .where(
            order_lines.c.tenant_id == tenant_id,
            order_lines.c.kind == "seat",
            order_lines.c.valid_to >= today,
            order_lines.c.allocated < order_lines.c.quantity,
        )
        .distinct()
    )
    return select(orders).where(orders.c.id.in_(open_lines)).order_by(orders.c.created_at.desc(), orders.c.id)


def orders_query(tenant_id: str | None, status: str | None, order_no: str | None = None) -> Any:
    query = select(orders).order_by(orders.c.created_at.desc(), orders.c.id)
    if tenant_id is not None:
        query = query.where(orders.c.tenant_id == tenant_id)
    return filtered_orders(query, status, order_no)


def filtered_orders(query: Any, status: str | None, order_no: str | None) -> Any:
    """`status` exactly; `order_no` exactly, ignoring case (people type order numbers from a mail)."""
    if status:
        query = query.where(orders.c.status == status)
    if order_no:
        query = query.where(orders.c.order_no == order_no.strip().upper())
    return query


def order_summary(order: Mapping[str, Any]) -> dict[str, Any]:
    return {name: order[name] for name in ("id", "order_no", "tenant_id", "source", "status", "erp", "deployment",
                                           "activated_at", "created_at")}


def count_unallocated(session: Session, tenant_id: str, today: date) -> int:
    return session.execute(select(func.count()).select_from(unallocated_orders_query(tenant_id, today).subquery())).scalar_one()


def on_marketplace_order_paid(uow: UnitOfWork, policy: Policy, data: Mapping[str, Any]) -> None:
    """MKT-7: a paid reseller order with entitlement lines becomes an order of the customer's tenant, once.

    The event's `recipient` is the reseller user who bought; the operation key never goes to them.
    """
    lines = data.get("entitlement_lines") or []
    if not lines or not data.get("tenant_id"):
        return
    source_ref = str(data["order_id"])
    already = uow.session.execute(
        select(orders.c.id).where(orders.c.source == "marketplace", orders.c.source_ref == source_ref)
    ).first()
    if already:
        return
    deliver_order(
        uow,
        policy,
        tenant_id=str(data["tenant_id"]),
        lines=[
            {"product_code": line["product_code"], "quantity": int(line["quantity"]),
             "valid_from": date.fromisoformat(line["valid_from"]), "valid_to": date.fromisoformat(line["valid_to"]),
             "serial_number": None}
            for line in lines
        ],
        source="marketplace",
        source_ref=source_ref,
        allow_unknown_tenant=True,
    )
