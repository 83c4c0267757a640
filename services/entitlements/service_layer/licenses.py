"""The licensing saga (ENT-11, seed 004): a seat per authorized tax ID and service group, released on cancel.

Per (tenant, tax ID, group) one grant is held at a time (a partial unique index backs this up), and the
work for one key is serialised, so a repeated or concurrent authorization never takes a second seat
and a cancellation releases the seat exactly once. Every authorization is answered (granted or
refused) with its own request_id; so is every cancellation.
"""
from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import bindparam, literal, select, text, update
from sqlalchemy.orm import Session

from services.entitlements.adapters.locks import serialise_on
from services.entitlements.adapters.orm import allocations, enterprises, license_grants, order_lines
from services.entitlements.domain import seats
from services.entitlements.service_layer.allocations import ACTIVE, SEATS_ALLOCATED, release_allocation
from services.entitlements.service_layer.tenants import tenant_recipient
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
    return session.execute(_LINE_OF_ALLOCATION, {"allocation_id": allocation_id}).first()


# The authorization's statements, built once with bind parameters: SQLAlchemy then compiles and
# cache-keys each once, not per event (bench/README.md "Helper C": statement building was most of
# the handler's CPU).
_LINE_OF_ALLOCATION = (
    select(order_lines).join(allocations, allocations.c.order_line_id == order_lines.c.id)
    .where(allocations.c.id == bindparam("allocation_id"))
)

# One round trip for what decides the path: the grant held for the key, the enterprise of the tax ID
# (any tenant), and an active seat of the group it already holds on a line not expired.
_HELD_ALLOCATION = (
    select(license_grants.c.allocation_id)
    .where(license_grants.c.tenant_id == bindparam("tenant_id"), license_grants.c.tax_id == bindparam("tax_id"),
           license_grants.c.service_group == bindparam("service_group"), license_grants.c.status == HELD)
    .limit(1).scalar_subquery()
)
_EXISTING_SEAT = (
    select(allocations.c.id)
    .join(order_lines, order_lines.c.id == allocations.c.order_line_id)
    .where(allocations.c.enterprise_id == enterprises.c.id, allocations.c.status == ACTIVE,
           allocations.c.service_group == bindparam("service_group"), order_lines.c.valid_to >= bindparam("today"))
    .order_by(order_lines.c.valid_to.desc())
    .limit(1).correlate(enterprises).scalar_subquery()
)
_ONE_ROW = select(literal(1).label("one")).subquery("one_row")
_LOOKUP = (
    select(_HELD_ALLOCATION.label("held_allocation_id"), enterprises.c.id, enterprises.c.tenant_id, enterprises.c.name,
           enterprises.c.tax_id, enterprises.c.first_allocated_at, _EXISTING_SEAT.label("existing_allocation_id"))
    .select_from(_ONE_ROW.outerjoin(enterprises, enterprises.c.tax_id == bindparam("tax_id")))
)
_SEAT_LINES = (
    select(order_lines)
    .where(order_lines.c.tenant_id == bindparam("tenant_id"), order_lines.c.kind == "seat",
           order_lines.c.service_group == bindparam("service_group"),
           order_lines.c.valid_from <= bindparam("today"), order_lines.c.valid_to >= bindparam("today"))
    .order_by(order_lines.c.valid_to, order_lines.c.id)
)
_TAKE_SEAT = (
    update(order_lines)
    .where(order_lines.c.id == bindparam("line_id"), order_lines.c.allocated < order_lines.c.quantity)
    .values(allocated=order_lines.c.allocated + 1)
)
_FIRST_ALLOCATION = (
    update(enterprises)
    .where(enterprises.c.id == bindparam("enterprise_id"), enterprises.c.first_allocated_at.is_(None))
    .values(first_allocated_at=bindparam("now"))
    .returning(enterprises.c.id)
)
_INSERT_ENTERPRISE = enterprises.insert()
_INSERT_ALLOCATION = allocations.insert()
_INSERT_GRANT = license_grants.insert()
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def _serialise(uow: UnitOfWork, key: str) -> None:
    """adapters/locks.serialise_on, with its statement made once."""
    uow.session.execute(_LOCK, {"key": key})


@functools.cache
def _audit_insert(table: Any) -> Any:
    return table.insert()


def _audit_values(uow: UnitOfWork, action: str, target_type: str, target_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    """UnitOfWork.audit's row."""
    return {"at": uow.clock.now(), "actor_id": uow.actor.id, "actor_org_id": uow.actor.org_id, "action": action,
            "target_type": target_type, "target_id": target_id, "detail": detail, "request_id": uow.actor.request_id}


def _audit(uow: UnitOfWork, action: str, target_type: str, target_id: str, detail: dict[str, Any]) -> None:
    """UnitOfWork.audit, inserted with a statement built once."""
    uow.session.execute(_audit_insert(uow.tables.audit_log), _audit_values(uow, action, target_type, target_id, detail))


def _recipient(uow: UnitOfWork, tenant_id: str) -> dict[str, Any] | None:
    """The tenant's contact, read once per transaction (a batch of authorizations is usually one tenant's)."""
    cache = uow.session.info.setdefault("entitlements.recipients", {})
    if tenant_id not in cache:
        cache[tenant_id] = tenant_recipient(uow.session, tenant_id)
    return cache[tenant_id]


def _candidate_lines(lines: list[Any], serial_number: str | None) -> list[Any]:
    if serial_number:
        lines = [line for line in lines if line.serial_number == serial_number]
        if not lines:
            raise SeatRefused(seats.UNKNOWN_SERIAL_NUMBER)
    free = [line for line in lines if line.allocated < line.quantity]
    if not free:
        raise SeatRefused(seats.NO_REMAINING_ENTITLEMENT)
    return free


class _Enterprise(NamedTuple):
    id: str
    tenant_id: str
    name: str
    tax_id: str
    first_allocated_at: Any


def _add_enterprise(uow: UnitOfWork, tenant_id: str, tax_id: str, name: str | None, first_allocated_at: Any) -> _Enterprise:
    """A tax ID entitlements did not know: added to the tenant (ENT-4's row, no registration lookup) and audited."""
    enterprise = _Enterprise(str(uuid.uuid4()), tenant_id, name or tax_id, tax_id, first_allocated_at)
    uow.session.execute(_INSERT_ENTERPRISE, {
        "id": enterprise.id, "tenant_id": tenant_id, "name": enterprise.name, "tax_id": tax_id, "registration": None,
        "first_allocated_at": first_allocated_at, "api_client_id": None, "api_client_issued_at": None, "created_at": uow.clock.now(),
    })
    _audit(uow, "enterprise.added", "enterprise", enterprise.id, {"tax_id": tax_id, "by": "licensing"})
    return enterprise


def _free_seat(session: Session, data: Mapping[str, Any], tenant_id: str, group: str, today: Any) -> Any:
    """Takes one seat of the first candidate line still free (guarded update); the line, or SeatRefused."""
    if not data.get("serial_number") and seats.needs_serial_number(data.get("license_type"), data.get("idc")):
        raise SeatRefused(seats.SERIAL_NUMBER_REQUIRED)
    lines = session.execute(_SEAT_LINES, {"tenant_id": tenant_id, "service_group": group, "today": today}).all()
    for line in _candidate_lines(lines, data.get("serial_number")):
        if session.execute(_TAKE_SEAT, {"line_id": line.id}).rowcount == 1:
            return line
    raise SeatRefused(seats.NO_REMAINING_ENTITLEMENT)


def _take_seat(uow: UnitOfWork, found: Any, data: Mapping[str, Any], tenant_id: str, tax_id: str) -> tuple[Any, str, str]:
    """Takes a free seat of the group (earliest expiry first) for the tax ID's enterprise, adding the enterprise if new.

    Returns (line, allocation id, enterprise id). The guarded update takes the seat only if one is
    still free, so a lost race moves on to the next line, as `allocations.take_seats` does.
    """
    group = data["service_group"]
    session, now, today = uow.session, uow.clock.now(), uow.clock.today()
    enterprise = _Enterprise(found.id, found.tenant_id, found.name, found.tax_id, found.first_allocated_at) if found.id else None
    if enterprise is not None and found.existing_allocation_id is not None:
        return _line_of_allocation(session, found.existing_allocation_id), found.existing_allocation_id, enterprise.id
    try:
        taken = _free_seat(session, data, tenant_id, group, today)
    except SeatRefused:
        if enterprise is None:  # a new tax ID is added (and audited) whether or not a seat is left
            _add_enterprise(uow, tenant_id, tax_id, data.get("enterprise_name"), None)
        raise
    if enterprise is None:
        enterprise = _add_enterprise(uow, tenant_id, tax_id, data.get("enterprise_name"), now)
        first = True
    else:
        first = found.first_allocated_at is None and session.execute(
            _FIRST_ALLOCATION, {"enterprise_id": enterprise.id, "now": now}).first() is not None
    allocation_id = str(uuid.uuid4())
    session.execute(_INSERT_ALLOCATION, {
        "id": allocation_id, "tenant_id": taken.tenant_id, "order_line_id": taken.id, "enterprise_id": enterprise.id,
        "service_group": taken.service_group, "source": "license", "status": ACTIVE, "allocated_at": now, "released_at": None,
    })
    uow.emit(SEATS_ALLOCATED, taken.id, {
        "tenant_id": taken.tenant_id, "order_line_id": taken.id, "product_code": taken.product_code,
        "service_group": taken.service_group,
        "allocations": [{"enterprise_id": enterprise.id, "tax_id": enterprise.tax_id, "enterprise_name": enterprise.name,
                         "first_for_enterprise": first}],
        "recipient": _recipient(uow, taken.tenant_id),
    }, tenant_id=taken.tenant_id)
    return taken, allocation_id, enterprise.id


def on_license_authorized(uow: UnitOfWork, data: Mapping[str, Any]) -> None:
    tenant_id, group = str(data["tenant_id"]), data["service_group"]
    tax_id = str(data["tax_id"]).strip().upper()
    subject = seats.seat_subject(tenant_id, tax_id, group)
    _serialise(uow, f"seat:{subject}")
    answer = {"tenant_id": tenant_id, "request_id": data["request_id"], "tax_id": tax_id, "service_group": group}
    found = uow.session.execute(_LOOKUP, {"tenant_id": tenant_id, "tax_id": tax_id, "service_group": group,
                                          "today": uow.clock.today()}).one()
    if found.held_allocation_id is not None:  # answered again with the seat it holds
        line = _line_of_allocation(uow.session, found.held_allocation_id)
    else:
        try:
            if found.id is not None and found.tenant_id != tenant_id:
                raise SeatRefused(seats.ENTERPRISE_OF_OTHER_TENANT)
            line, allocation_id, enterprise_id = _take_seat(uow, found, data, tenant_id, tax_id)
        except SeatRefused as refused:
            uow.emit(SEAT_REFUSED, subject, {**answer, "reason": refused.reason}, tenant_id=tenant_id)
            return
        uow.session.execute(_INSERT_GRANT, {
            "id": str(uuid.uuid4()), "tenant_id": tenant_id, "tax_id": tax_id, "service_group": group,
            "request_id": str(data["request_id"]), "allocation_id": allocation_id, "status": HELD,
            "granted_at": uow.clock.now(), "released_at": None,
        })
        _audit(uow, "seat.granted", "enterprise", enterprise_id, {"service_group": group, "request_id": data["request_id"]})
    uow.emit(SEAT_GRANTED, subject, {
        **answer, "order_line_id": line.id, "serial_number": line.serial_number,
        "valid_from": line.valid_from.isoformat(), "valid_to": line.valid_to.isoformat(),
    }, tenant_id=tenant_id)


# ---- a batch of authorizations at once (the consumer's batches, shared/bus.py) ------------------------

_HELD_OF = (
    select(license_grants.c.tax_id)
    .where(license_grants.c.tenant_id == bindparam("tenant_id"), license_grants.c.service_group == bindparam("service_group"),
           license_grants.c.status == HELD, license_grants.c.tax_id.in_(bindparam("tax_ids", expanding=True)))
)
_ENTERPRISES_OF = (
    select(enterprises.c.id, enterprises.c.tenant_id, enterprises.c.name, enterprises.c.tax_id, enterprises.c.first_allocated_at)
    .where(enterprises.c.tax_id.in_(bindparam("tax_ids", expanding=True)))
)
_SEATS_HELD_BY = (
    select(allocations.c.enterprise_id)
    .join(order_lines, order_lines.c.id == allocations.c.order_line_id)
    .where(allocations.c.enterprise_id.in_(bindparam("enterprise_ids", expanding=True)), allocations.c.status == ACTIVE,
           allocations.c.service_group == bindparam("service_group"), order_lines.c.valid_to >= bindparam("today"))
)
_SEAT_LINES_FOR_UPDATE = _SEAT_LINES.with_for_update()
_TAKE_SEATS = (
    update(order_lines)
    .where(order_lines.c.id == bindparam("line_id"), order_lines.c.allocated + bindparam("count") <= order_lines.c.quantity)
    .values(allocated=order_lines.c.allocated + bindparam("count"))
)
_LOCK_MANY = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0))) "
    "FROM (SELECT DISTINCT unnest(CAST(:keys AS text[])) AS key ORDER BY key) AS keys"
)


class _SetPathNotTaken(Exception):
    """The batch needs the one-by-one handler (see `on_licenses_authorized`)."""


def on_licenses_authorized(uow: UnitOfWork, batch: list[Mapping[str, Any]]) -> None:
    """Several authorizations in one go, with the same outcome as `on_license_authorized` one after the other.

    The set path covers the usual case: tax IDs each once in the batch, of one tenant and group,
    with no grant held and either unknown to entitlements (added here), bound to another tenant
    (refused), or the tenant's with no seat of the group yet and allocated before. Its statements are
    one per batch (keys locked in sorted order, held grants, enterprises, seat lines locked, then one
    executemany per table); seats go to the batch's tax IDs in order, earliest expiry first, and
    `seats.allocated` is emitted once per line with the batch's allocations on it (as a portal
    allocation of several enterprises is), before the answers in their order. Anything
    else — a repeated tax ID, a held grant, an enterprise holding a seat or never allocated, several
    groups — takes the one-by-one handler for the whole batch, in order.
    """
    try:
        _authorize_set(uow, batch)
    except _SetPathNotTaken:
        for data in batch:
            on_license_authorized(uow, data)


def _authorize_set(uow: UnitOfWork, batch: list[Mapping[str, Any]]) -> None:
    session, now, today = uow.session, uow.clock.now(), uow.clock.today()
    if len(batch) < 2 or len({(str(d["tenant_id"]), d["service_group"]) for d in batch}) != 1:
        raise _SetPathNotTaken()
    tenant_id, group = str(batch[0]["tenant_id"]), batch[0]["service_group"]
    tax_ids = [str(d["tax_id"]).strip().upper() for d in batch]
    if len(set(tax_ids)) != len(tax_ids):
        raise _SetPathNotTaken()
    subjects = [seats.seat_subject(tenant_id, tax_id, group) for tax_id in tax_ids]
    session.execute(_LOCK_MANY, {"keys": [f"seat:{subject}" for subject in subjects]})
    if session.execute(_HELD_OF, {"tenant_id": tenant_id, "service_group": group, "tax_ids": tax_ids}).first() is not None:
        raise _SetPathNotTaken()
    known = {row.tax_id: row for row in session.execute(_ENTERPRISES_OF, {"tax_ids": tax_ids})}
    own = [row for row in known.values() if row.tenant_id == tenant_id]
    if any(row.first_allocated_at is None for row in own):
        raise _SetPathNotTaken()
    if own and session.execute(_SEATS_HELD_BY, {"enterprise_ids": [row.id for row in own], "service_group": group,
                                                "today": today}).first() is not None:
        raise _SetPathNotTaken()
    lines = [[line, line.allocated] for line in session.execute(
        _SEAT_LINES_FOR_UPDATE, {"tenant_id": tenant_id, "service_group": group, "today": today})]
    taken: dict[str, int] = {}
    new_enterprises, new_allocations, new_grants, audits, answers = [], [], [], [], []
    for data, tax_id, subject in zip(batch, tax_ids, subjects, strict=True):
        answer = {"tenant_id": tenant_id, "request_id": data["request_id"], "tax_id": tax_id, "service_group": group}
        enterprise = known.get(tax_id)
        if enterprise is not None and enterprise.tenant_id != tenant_id:
            answers.append((SEAT_REFUSED, subject, {**answer, "reason": seats.ENTERPRISE_OF_OTHER_TENANT}, None))
            continue
        try:
            line = _free_line(lines, data)
        except SeatRefused as refused:
            line, reason = None, refused.reason
        if enterprise is None:
            enterprise = _Enterprise(str(uuid.uuid4()), tenant_id, data.get("enterprise_name") or tax_id, tax_id,
                                     now if line is not None else None)
            new_enterprises.append(enterprise)
            audits.append(_audit_values(uow, "enterprise.added", "enterprise", enterprise.id, {"tax_id": tax_id, "by": "licensing"}))
            first = True
        else:
            first = False
        if line is None:
            answers.append((SEAT_REFUSED, subject, {**answer, "reason": reason}, None))
            continue
        taken[line.id] = taken.get(line.id, 0) + 1
        allocation_id = str(uuid.uuid4())
        new_allocations.append({
            "id": allocation_id, "tenant_id": line.tenant_id, "order_line_id": line.id, "enterprise_id": enterprise.id,
            "service_group": line.service_group, "source": "license", "status": ACTIVE, "allocated_at": now, "released_at": None,
        })
        new_grants.append({
            "id": str(uuid.uuid4()), "tenant_id": tenant_id, "tax_id": tax_id, "service_group": group,
            "request_id": str(data["request_id"]), "allocation_id": allocation_id, "status": HELD, "granted_at": now,
            "released_at": None,
        })
        audits.append(_audit_values(uow, "seat.granted", "enterprise", enterprise.id,
                                    {"service_group": group, "request_id": data["request_id"]}))
        answers.append((SEAT_GRANTED, subject, {
            **answer, "order_line_id": line.id, "serial_number": line.serial_number,
            "valid_from": line.valid_from.isoformat(), "valid_to": line.valid_to.isoformat(),
        }, (line, enterprise, first)))
    if taken:
        done = session.execute(_TAKE_SEATS, [{"line_id": line_id, "count": count} for line_id, count in taken.items()])
        if done.rowcount != len(taken):  # cannot happen under FOR UPDATE; the one-by-one path would take what is left
            raise RuntimeError("seat lines changed under their lock")
    if new_enterprises:
        session.execute(_INSERT_ENTERPRISE, [{
            "id": e.id, "tenant_id": e.tenant_id, "name": e.name, "tax_id": e.tax_id, "registration": None,
            "first_allocated_at": e.first_allocated_at, "api_client_id": None, "api_client_issued_at": None, "created_at": now,
        } for e in new_enterprises])
    if new_allocations:
        session.execute(_INSERT_ALLOCATION, new_allocations)
        session.execute(_INSERT_GRANT, new_grants)
    if audits:
        session.execute(_audit_insert(uow.tables.audit_log), audits)
    per_line: dict[str, tuple[Any, list[dict[str, Any]]]] = {}
    for _type, _subject, _payload, seat in answers:
        if seat is not None:
            line, enterprise, first = seat
            per_line.setdefault(line.id, (line, []))[1].append(
                {"enterprise_id": enterprise.id, "tax_id": enterprise.tax_id, "enterprise_name": enterprise.name,
                 "first_for_enterprise": first})
    for line, allocated in per_line.values():  # one event per line, as a portal allocation of several enterprises
        uow.emit(SEATS_ALLOCATED, line.id, {
            "tenant_id": line.tenant_id, "order_line_id": line.id, "product_code": line.product_code,
            "service_group": line.service_group, "allocations": allocated, "recipient": _recipient(uow, line.tenant_id),
        }, tenant_id=line.tenant_id)
    for event_type, subject, payload, _seat in answers:
        uow.emit(event_type, subject, payload, tenant_id=tenant_id)


def _free_line(lines: list[list[Any]], data: Mapping[str, Any]) -> Any:
    """`_free_seat`'s choice on the locked lines: the first candidate with a seat left, counted as taken."""
    if not data.get("serial_number") and seats.needs_serial_number(data.get("license_type"), data.get("idc")):
        raise SeatRefused(seats.SERIAL_NUMBER_REQUIRED)
    candidates = lines
    if data.get("serial_number"):
        candidates = [entry for entry in lines if entry[0].serial_number == data["serial_number"]]
        if not candidates:
            raise SeatRefused(seats.UNKNOWN_SERIAL_NUMBER)
    for entry in candidates:
        if entry[1] < entry[0].quantity:
            entry[1] += 1
            return entry[0]
    raise SeatRefused(seats.NO_REMAINING_ENTITLEMENT)


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
