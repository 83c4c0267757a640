"""Allocation of seat lines to enterprises (ENT-5): never beyond a line's quantity, all or nothing."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import allocations, enterprises, order_lines, orders, products
from services.entitlements.service_layer.tenants import tenant_recipient
from shared.errors import Problem, not_found, validation
from shared.uow import UnitOfWork

SEATS_ALLOCATED = "entitlements.seats.allocated.v1"
ACTIVE, RELEASED = "active", "released"


class QuantityExceeded(Exception):
    """The line has fewer free seats than asked for."""


def _line(session: Session, line_id: str) -> Any:
    return session.execute(select(order_lines).where(order_lines.c.id == line_id)).first()


def take_seats(uow: UnitOfWork, line: Any, chosen: list[Any], source: str) -> list[dict[str, Any]]:
    """Takes one seat of `line` per enterprise with one guarded update; emits the allocation event."""
    count = len(chosen)
    taken = uow.session.execute(
        update(order_lines)
        .where(order_lines.c.id == line.id, order_lines.c.allocated + count <= order_lines.c.quantity)
        .values(allocated=order_lines.c.allocated + count)
    )
    if taken.rowcount != 1:
        raise QuantityExceeded()
    now = uow.clock.now()
    ids = [enterprise.id for enterprise in chosen]
    first = set(
        uow.session.execute(
            update(enterprises)
            .where(enterprises.c.id.in_(ids), enterprises.c.first_allocated_at.is_(None))
            .values(first_allocated_at=now)
            .returning(enterprises.c.id)
        ).scalars()
    )
    rows = [
        {"id": str(uuid.uuid4()), "tenant_id": line.tenant_id, "order_line_id": line.id, "enterprise_id": enterprise.id,
         "service_group": line.service_group, "source": source, "status": ACTIVE, "allocated_at": now, "released_at": None}
        for enterprise in chosen
    ]
    uow.session.execute(allocations.insert(), rows)
    uow.emit(
        SEATS_ALLOCATED,
        line.id,
        {
            "tenant_id": line.tenant_id,
            "order_line_id": line.id,
            "product_code": line.product_code,
            "service_group": line.service_group,
            "allocations": [
                {"enterprise_id": e.id, "tax_id": e.tax_id, "enterprise_name": e.name, "first_for_enterprise": e.id in first}
                for e in chosen
            ],
            "recipient": tenant_recipient(uow.session, line.tenant_id),
        },
        tenant_id=line.tenant_id,
    )
    return rows


def _allocatable_line(uow: UnitOfWork, tenant_id: str, line_id: str) -> Any:
    line = _line(uow.session, line_id)
    if line is None or line.tenant_id != tenant_id:
        raise not_found("order line")
    if line.kind != "seat":
        raise Problem(422, "not_a_seat_line", "only seat lines are allocated to enterprises", errors={"order_line_id": ["traffic line"]})
    if not line.activated:
        raise Problem(409, "order_not_activated", "activate the order with its operation key first")
    if line.valid_to < uow.clock.today():
        raise Problem(409, "line_expired", "this order line has expired")
    return line


def _tenant_enterprises(session: Session, tenant_id: str, enterprise_ids: list[str]) -> list[Any]:
    rows = session.execute(
        select(enterprises).where(enterprises.c.id.in_(enterprise_ids), enterprises.c.tenant_id == tenant_id)
    ).all()
    found = {row.id: row for row in rows}
    missing = [i for i in enterprise_ids if i not in found]
    if missing:
        raise validation({"enterprise_ids": [f"unknown enterprise {i}" for i in missing]})
    return [found[i] for i in enterprise_ids]


def allocate(uow: UnitOfWork, *, tenant_id: str, order_line_id: str, enterprise_ids: list[str]) -> dict[str, Any]:
    if len(set(enterprise_ids)) != len(enterprise_ids):
        raise validation({"enterprise_ids": ["each enterprise once"]})
    line = _allocatable_line(uow, tenant_id, order_line_id)
    chosen = _tenant_enterprises(uow.session, tenant_id, enterprise_ids)
    holding = set(
        uow.session.execute(
            select(allocations.c.enterprise_id).where(
                allocations.c.order_line_id == line.id, allocations.c.status == ACTIVE, allocations.c.enterprise_id.in_(enterprise_ids)
            )
        ).scalars()
    )
    if holding:
        raise Problem(409, "already_allocated", "some enterprises already hold a seat of this line", enterprise_ids=sorted(holding))
    try:
        take_seats(uow, line, chosen, "portal")
    except QuantityExceeded:
        free = line.quantity - _line(uow.session, line.id).allocated
        raise Problem(409, "quantity_exceeded", f"only {free} seats of this line are left", remaining=free) from None
    except IntegrityError:
        raise Problem(409, "already_allocated", "an enterprise got a seat of this line at the same time") from None
    uow.audit("seats.allocated", "order_line", line.id, {"enterprise_ids": enterprise_ids})
    after = _line(uow.session, line.id)
    return {
        "order_line_id": line.id,
        "quantity": after.quantity,
        "allocated": after.allocated,
        "unallocated": after.quantity - after.allocated,
        "enterprises": [{"id": e.id, "name": e.name, "tax_id": e.tax_id} for e in chosen],
    }


def release_allocation(uow: UnitOfWork, allocation_id: str) -> Any:
    """Frees a seat once: only the transition active → released gives the seat back to its line."""
    now = uow.clock.now()
    released = uow.session.execute(
        update(allocations)
        .where(allocations.c.id == allocation_id, allocations.c.status == ACTIVE)
        .values(status=RELEASED, released_at=now)
    )
    row = uow.session.execute(select(allocations).where(allocations.c.id == allocation_id)).first()
    if released.rowcount == 1:
        uow.session.execute(
            update(order_lines).where(order_lines.c.id == row.order_line_id, order_lines.c.allocated > 0)
            .values(allocated=order_lines.c.allocated - 1)
        )
    return row


def allocations_query(tenant_id: str, *, order_line_id: str | None = None, product_code: str | None = None,
                      enterprise_id: str | None = None, enterprise_ids: list[str] | None = None) -> Any:
    query = (
        select(
            allocations.c.id, allocations.c.order_line_id, allocations.c.service_group, allocations.c.source,
            allocations.c.allocated_at, orders.c.order_no, order_lines.c.product_code, products.c.name.label("product_name"),
            order_lines.c.serial_number, order_lines.c.valid_from, order_lines.c.valid_to,
            enterprises.c.id.label("enterprise_id"), enterprises.c.name.label("enterprise_name"), enterprises.c.tax_id,
            enterprises.c.api_client_id, enterprises.c.api_client_issued_at,
        )
        .join(order_lines, order_lines.c.id == allocations.c.order_line_id)
        .join(orders, orders.c.id == order_lines.c.order_id)
        .join(products, products.c.code == order_lines.c.product_code)
        .join(enterprises, enterprises.c.id == allocations.c.enterprise_id)
        .where(allocations.c.tenant_id == tenant_id, allocations.c.status == ACTIVE)
        .order_by(allocations.c.allocated_at, allocations.c.id)
    )
    if order_line_id:
        query = query.where(allocations.c.order_line_id == order_line_id)
    if product_code:
        query = query.where(order_lines.c.product_code == product_code)
    if enterprise_id:
        query = query.where(allocations.c.enterprise_id == enterprise_id)
    if enterprise_ids:
        query = query.where(allocations.c.enterprise_id.in_(enterprise_ids))
    return query


def allocation_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "order_line_id": row["order_line_id"],
        "order_no": row["order_no"],
        "product_code": row["product_code"],
        "product_name": row["product_name"],
        "right_type": row["service_group"],
        "serial_number": row["serial_number"],
        "valid_from": row["valid_from"].isoformat(),
        "valid_to": row["valid_to"].isoformat(),
        "source": row["source"],
        "allocated_at": row["allocated_at"],
        "enterprise_id": row["enterprise_id"],
        "enterprise_name": row["enterprise_name"],
        "tax_id": row["tax_id"],
        "authorisation": {"client_id": row["api_client_id"], "issued_at": row["api_client_issued_at"]}
        if row["api_client_id"] else None,
    }
