"""The licensing saga (ENT-11, seed 004): a seat per authorized tax ID and service group, released on cancel.

Per (tenant, tax ID, group) one grant is held at a time (a partial unique index backs this up), and the
work for one key is serialised, so a repeated or concurrent authorization never takes a second seat
and a cancellation releases the seat exactly once. Every authorization is answered (granted or
refused) with its own request_id; so is every cancellation.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.entitlements.adapters.locks import serialise_on
from services.entitlements.adapters.orm import allocations, license_grants, order_lines
from services.entitlements.domain import seats
from services.entitlements.service_layer.allocations import ACTIVE, QuantityExceeded, release_allocation, take_seats
from services.entitlements.service_layer.enterprises import find_by_tax_id, insert_enterprise
from shared.uow import UnitOfWork

SEAT_GRANTED = "entitlements.seat.granted.v1"
SEAT_REFUSED = "entitlements.seat.refused.v1"
SEAT_RELEASED = "entitlements.seat.released.v1"
HELD, RELEASED = "held", "released"


class SeatRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _held_grant(session: Session, tenant_id: str, tax_id: str, group: str) -> Any:
    return session.execute(
        select(license_grants).where(
            license_grants.c.tenant_id == tenant_id, license_grants.c.tax_id == tax_id,
            license_grants.c.service_group == group, license_grants.c.status == HELD,
        )
    ).first()


def _line_of_allocation(session: Session, allocation_id: str) -> Any:
    return session.execute(
        select(order_lines).join(allocations, allocations.c.order_line_id == order_lines.c.id).where(allocations.c.id == allocation_id)
    ).first()


def _seat_lines(session: Session, tenant_id: str, group: str, today: date) -> list[Any]:
    """The tenant's seat lines of the group valid today, earliest expiry first (activation is not needed: seed 004's new flow)."""
    return session.execute(
        select(order_lines)
        .where(order_lines.c.tenant_id == tenant_id, order_lines.c.kind == "seat", order_lines.c.service_group == group,
               order_lines.c.valid_from <= today, order_lines.c.valid_to >= today)
        .order_by(order_lines.c.valid_to, order_lines.c.id)
    ).all()


def _existing_seat(session: Session, enterprise_id: str, group: str, today: date) -> Any:
    """An active seat of the group the enterprise already holds (e.g. allocated in the portal)."""
    return session.execute(
        select(allocations.c.id)
        .join(order_lines, order_lines.c.id == allocations.c.order_line_id)
        .where(allocations.c.enterprise_id == enterprise_id, allocations.c.status == ACTIVE,
               allocations.c.service_group == group, order_lines.c.valid_to >= today)
        .order_by(order_lines.c.valid_to.desc())
    ).first()


def _candidate_lines(lines: list[Any], serial_number: str | None) -> list[Any]:
    if serial_number:
        lines = [line for line in lines if line.serial_number == serial_number]
        if not lines:
            raise SeatRefused(seats.UNKNOWN_SERIAL_NUMBER)
    free = [line for line in lines if line.allocated < line.quantity]
    if not free:
        raise SeatRefused(seats.NO_REMAINING_ENTITLEMENT)
    return free


def _enterprise_for(uow: UnitOfWork, tenant_id: str, tax_id: str, name: str | None) -> Any:
    enterprise = find_by_tax_id(uow.session, tax_id)
    if enterprise is not None and enterprise.tenant_id != tenant_id:
        raise SeatRefused(seats.ENTERPRISE_OF_OTHER_TENANT)
    if enterprise is None:
        added = insert_enterprise(uow, tenant_id, name or tax_id, tax_id, None)
        uow.audit("enterprise.added", "enterprise", added["id"], {"tax_id": tax_id, "by": "licensing"})
        enterprise = find_by_tax_id(uow.session, tax_id)
    return enterprise


def _take_one_seat(uow: UnitOfWork, enterprise: Any, data: Mapping[str, Any]) -> str:
    today = uow.clock.today()
    existing = _existing_seat(uow.session, enterprise.id, data["service_group"], today)
    if existing is not None:
        return existing.id
    if not data.get("serial_number") and seats.needs_serial_number(data.get("license_type"), data.get("idc")):
        raise SeatRefused(seats.SERIAL_NUMBER_REQUIRED)
    for line in _candidate_lines(_seat_lines(uow.session, enterprise.tenant_id, data["service_group"], today),
                                 data.get("serial_number")):
        try:
            return take_seats(uow, line, [enterprise], "license")[0]["id"]
        except QuantityExceeded:
            continue
    raise SeatRefused(seats.NO_REMAINING_ENTITLEMENT)


def _grant(uow: UnitOfWork, data: Mapping[str, Any], tenant_id: str, tax_id: str, group: str) -> Any:
    held = _held_grant(uow.session, tenant_id, tax_id, group)
    if held is not None:
        return held
    enterprise = _enterprise_for(uow, tenant_id, tax_id, data.get("enterprise_name"))
    allocation_id = _take_one_seat(uow, enterprise, data)
    uow.session.execute(license_grants.insert().values(
        id=str(uuid.uuid4()), tenant_id=tenant_id, tax_id=tax_id, service_group=group, request_id=str(data["request_id"]),
        allocation_id=allocation_id, status=HELD, granted_at=uow.clock.now(),
    ))
    uow.audit("seat.granted", "enterprise", enterprise.id, {"service_group": group, "request_id": data["request_id"]})
    return _held_grant(uow.session, tenant_id, tax_id, group)


def on_license_authorized(uow: UnitOfWork, data: Mapping[str, Any]) -> None:
    tenant_id, group = str(data["tenant_id"]), data["service_group"]
    tax_id = str(data["tax_id"]).strip().upper()
    subject = seats.seat_subject(tenant_id, tax_id, group)
    serialise_on(uow.session, f"seat:{subject}")
    answer = {"tenant_id": tenant_id, "request_id": data["request_id"], "tax_id": tax_id, "service_group": group}
    try:
        grant = _grant(uow, data, tenant_id, tax_id, group)
    except SeatRefused as refused:
        uow.emit(SEAT_REFUSED, subject, {**answer, "reason": refused.reason}, tenant_id=tenant_id)
        return
    line = _line_of_allocation(uow.session, grant.allocation_id)
    uow.emit(SEAT_GRANTED, subject, {
        **answer, "order_line_id": line.id, "serial_number": line.serial_number,
        "valid_from": line.valid_from.isoformat(), "valid_to": line.valid_to.isoformat(),
    }, tenant_id=tenant_id)


def on_license_cancelled(uow: UnitOfWork, data: Mapping[str, Any]) -> None:
    """Releases the held seat once; a repeated cancellation is answered again without releasing anything."""
    tenant_id, group = str(data["tenant_id"]), data["service_group"]
    tax_id = str(data["tax_id"]).strip().upper()
    subject = seats.seat_subject(tenant_id, tax_id, group)
    serialise_on(uow.session, f"seat:{subject}")
    held = _held_grant(uow.session, tenant_id, tax_id, group)
    line_id = None
    if held is not None:
        uow.session.execute(
            update(license_grants).where(license_grants.c.id == held.id, license_grants.c.status == HELD)
            .values(status=RELEASED, released_at=uow.clock.now())
        )
        line_id = release_allocation(uow, held.allocation_id).order_line_id
        uow.audit("seat.released", "license_grant", held.id, {"request_id": data["request_id"]})
    else:
        last = uow.session.execute(
            select(license_grants.c.allocation_id)
            .where(license_grants.c.tenant_id == tenant_id, license_grants.c.tax_id == tax_id,
                   license_grants.c.service_group == group)
            .order_by(license_grants.c.released_at.desc())
        ).first()
        line_id = _line_of_allocation(uow.session, last.allocation_id).id if last else None
    uow.emit(SEAT_RELEASED, subject, {
        "tenant_id": tenant_id, "request_id": data["request_id"], "tax_id": tax_id, "service_group": group,
        "order_line_id": line_id,
    }, tenant_id=tenant_id)
