"""Change requests (ENT-8): tax-ID replacement, moving an enterprise between tenants, merging tenants.

A tenant admin submits with a reason; platform staff approve or reject. The review is a guarded
transition out of `pending`, so of two racing approvals exactly one applies the change; the change
and its audit rows commit with that transition or not at all.
"""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.entitlements.adapters.locks import serialise_on
from services.entitlements.adapters.orm import (
    allocations,
    change_requests,
    enterprises,
    license_grants,
    order_lines,
    orders,
    usage_daily,
    usage_ledger,
)
from services.entitlements.domain import change_requests as rules
from services.entitlements.domain.orders import new_order_no
from services.entitlements.service_layer.allocations import ACTIVE
from services.entitlements.service_layer.enterprises import find_by_tax_id, valid_tax_id
from services.entitlements.service_layer.tenants import find_tenant
from services.entitlements.service_layer.usage import upsert_daily_totals
from shared.errors import Problem, not_found, validation
from shared.uow import UnitOfWork

# What a tenant merge carries over: every table keyed by tenant that holds rights or their history.
MERGED_TABLES = (orders, order_lines, enterprises, allocations, license_grants, usage_ledger, usage_daily)


def request_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in ("id", "tenant_id", "kind", "status", "details", "reason", "chargeable",
                                         "submitted_by", "submitted_at", "reviewed_by", "reviewed_at", "review_comment",
                                         "outcome")}


def _own_enterprise(session: Session, tenant_id: str, enterprise_id: str | None) -> Any:
    row = session.execute(select(enterprises).where(enterprises.c.id == (enterprise_id or ""))).first()
    if row is None or row.tenant_id != tenant_id:
        raise validation({"enterprise_id": ["unknown enterprise"]})
    return row


def _held_groups(session: Session, enterprise_id: str) -> set[str]:
    return set(session.execute(
        select(allocations.c.service_group).where(allocations.c.enterprise_id == enterprise_id, allocations.c.status == ACTIVE)
    ).scalars())


def _details_of(session: Session, tenant_id: str, kind: str, given: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The request's checked details and whether it is chargeable."""
    if kind == rules.TAX_ID_REPLACEMENT:
        enterprise = _own_enterprise(session, tenant_id, given.get("enterprise_id"))
        new_tax_id = valid_tax_id(given.get("new_tax_id") or "")
        if find_by_tax_id(session, new_tax_id) is not None:
            raise Problem(409, "tax_id_in_use", "the new tax ID already belongs to an enterprise")
        details = {"enterprise_id": enterprise.id, "old_tax_id": enterprise.tax_id, "new_tax_id": new_tax_id,
                   "new_name": (given.get("new_name") or enterprise.name).strip()}
        return details, rules.is_chargeable(kind, _held_groups(session, enterprise.id))
    if kind == rules.ENTERPRISE_MOVE:
        tax_id = valid_tax_id(given.get("tax_id") or "")
        enterprise = find_by_tax_id(session, tax_id)
        if enterprise is None:
            raise validation({"tax_id": ["no enterprise has this tax ID"]})
        if enterprise.tenant_id == tenant_id:
            raise Problem(409, "enterprise_already_in_tenant", "this enterprise already belongs to your tenant")
        return {"tax_id": tax_id, "enterprise_id": enterprise.id, "from_tenant_id": enterprise.tenant_id}, False
    target = str(given.get("target_tenant_id") or "")
    if target == tenant_id or find_tenant(session, target) is None:
        raise validation({"target_tenant_id": ["unknown tenant"]})
    return {"target_tenant_id": target}, False


def submit(uow: UnitOfWork, *, tenant_id: str, kind: str, details: Mapping[str, Any], reason: str) -> dict[str, Any]:
    checked, chargeable = _details_of(uow.session, tenant_id, kind, details)
    values = {
        "id": str(uuid.uuid4()), "tenant_id": tenant_id, "kind": kind, "status": rules.PENDING, "details": checked,
        "reason": reason, "chargeable": chargeable, "submitted_by": uow.actor.id, "submitted_at": uow.clock.now(),
        "reviewed_by": None, "reviewed_at": None, "review_comment": None, "outcome": None,
    }
    uow.session.execute(change_requests.insert().values(**values))
    uow.audit("change_request.submitted", "change_request", values["id"], {"kind": kind, "details": checked, "reason": reason})
    return request_view(values)


def get_request(session: Session, request_id: str, tenant_id: str | None) -> Any:
    row = session.execute(select(change_requests).where(change_requests.c.id == request_id)).first()
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise not_found("change request")
    return row


def review(uow: UnitOfWork, *, request_id: str, decision: str, comment: str | None) -> dict[str, Any]:
    request = get_request(uow.session, request_id, None)
    status = rules.status_after(decision)
    moved = uow.session.execute(
        update(change_requests)
        .where(change_requests.c.id == request_id, change_requests.c.status == rules.PENDING)
        .values(status=status, reviewed_by=uow.actor.id, reviewed_at=uow.clock.now(), review_comment=comment)
    )
    if moved.rowcount != 1:
        raise Problem(409, "change_request_already_reviewed", "this change request has already been reviewed")
    uow.audit(f"change_request.{status}", "change_request", request_id, {"comment": comment})
    if status == rules.APPROVED:
        outcome = _apply(uow, request)
        uow.session.execute(update(change_requests).where(change_requests.c.id == request_id).values(outcome=outcome))
        uow.audit("change_request.applied", "change_request", request_id, outcome)
    return request_view(get_request(uow.session, request_id, None)._mapping)


RIGHTS_MOVED = "entitlements.rights.moved.v1"


def _apply(uow: UnitOfWork, request: Any) -> dict[str, Any]:
    """Applies the approved change and publishes `entitlements.rights.moved.v1` in the same transaction."""
    details = request.details
    event = {"change_request_id": request.id, "kind": request.kind, "enterprise_id": details.get("enterprise_id"), "tax_id": None,
             "old_tax_id": None, "new_tax_id": None, "seat_lines": []}
    if request.kind == rules.TAX_ID_REPLACEMENT:
        outcome = _replace_tax_id(uow, request.tenant_id, details)
        event.update(from_tenant_id=request.tenant_id, to_tenant_id=request.tenant_id, tax_id=outcome["new_tax_id"],
                     old_tax_id=outcome["old_tax_id"], new_tax_id=outcome["new_tax_id"])
    elif request.kind == rules.ENTERPRISE_MOVE:
        outcome, tax_id, line_ids = _move_enterprise(uow, request, details)
        event.update(from_tenant_id=outcome["from_tenant_id"], to_tenant_id=outcome["to_tenant_id"], tax_id=tax_id,
                     seat_lines=_seat_lines(uow.session, line_ids))
    else:
        outcome = _merge_tenants(uow, request.tenant_id, details["target_tenant_id"])
        event.update(from_tenant_id=outcome["from_tenant_id"], to_tenant_id=outcome["to_tenant_id"])
    uow.emit(RIGHTS_MOVED, request.id, event, tenant_id=event["to_tenant_id"])
    return outcome


def _seat_lines(session: Session, line_ids: list[str]) -> list[dict[str, Any]]:
    """The current state of these seat lines (after the change), as licensing keeps them."""
    if not line_ids:
        return []
    rows = session.execute(select(order_lines).where(order_lines.c.id.in_(line_ids), order_lines.c.kind == "seat")
                           .order_by(order_lines.c.tenant_id, order_lines.c.id))
    return [{"order_line_id": row.id, "tenant_id": row.tenant_id, "service_group": row.service_group, "quantity": row.quantity,
             "valid_from": row.valid_from.isoformat(), "valid_to": row.valid_to.isoformat(), "serial_number": row.serial_number}
            for row in rows]


def _replace_tax_id(uow: UnitOfWork, tenant_id: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """The enterprise keeps its id, so its seats, API client and history stay with it under the new tax ID."""
    new_tax_id = details["new_tax_id"]
    serialise_on(uow.session, f"enterprise:{new_tax_id}")
    if find_by_tax_id(uow.session, new_tax_id) is not None:
        raise Problem(409, "tax_id_in_use", "the new tax ID already belongs to an enterprise")
    uow.session.execute(update(enterprises).where(enterprises.c.id == details["enterprise_id"])
                        .values(tax_id=new_tax_id, name=details["new_name"]))
    uow.session.execute(update(license_grants)
                        .where(license_grants.c.tenant_id == tenant_id, license_grants.c.tax_id == details["old_tax_id"])
                        .values(tax_id=new_tax_id))
    seats = len(_held_groups(uow.session, details["enterprise_id"]))
    return {"enterprise_id": details["enterprise_id"], "old_tax_id": details["old_tax_id"], "new_tax_id": new_tax_id,
            "seat_groups_kept": seats}


def _move_enterprise(uow: UnitOfWork, request: Any, details: Mapping[str, Any]) -> tuple[dict[str, Any], str, list[str]]:
    """Each seat the enterprise holds leaves its old line (quantity −1) for a one-seat line of the same
    product, validity and serial lineage in a `transfer` order of the new tenant: no seat is lost.
    Returns the outcome, the enterprise's tax ID and the ids of the lines changed (shrunk and new)."""
    enterprise_id, target = details["enterprise_id"], request.tenant_id
    enterprise = uow.session.execute(select(enterprises).where(enterprises.c.id == enterprise_id)).first()
    if enterprise.tenant_id != details["from_tenant_id"]:
        raise Problem(409, "enterprise_moved_meanwhile", "the enterprise no longer belongs to the tenant named in the request")
    held = uow.session.execute(
        select(allocations.c.id.label("allocation_id"), order_lines)
        .join(order_lines, order_lines.c.id == allocations.c.order_line_id)
        .where(allocations.c.enterprise_id == enterprise_id, allocations.c.status == ACTIVE)
    ).all()
    now, today = uow.clock.now(), uow.clock.today()
    order_id = str(uuid.uuid4())
    if held:
        uow.session.execute(orders.insert().values(
            id=order_id, order_no=new_order_no(today), tenant_id=target, source="transfer", source_ref=request.id,
            status="activated", activated_at=now, activated_by=uow.actor.id, created_at=now, created_by=uow.actor.id,
        ))
    line_ids = []
    for seat in held:
        line_ids += [seat.id, _move_seat(uow, seat, order_id, target)]
    uow.session.execute(update(enterprises).where(enterprises.c.id == enterprise_id).values(tenant_id=target))
    uow.session.execute(update(license_grants)
                        .where(license_grants.c.tenant_id == details["from_tenant_id"], license_grants.c.tax_id == enterprise.tax_id)
                        .values(tenant_id=target))
    outcome = {"enterprise_id": enterprise_id, "from_tenant_id": details["from_tenant_id"], "to_tenant_id": target,
               "seats_moved": len(held), "transfer_order_id": order_id if held else None}
    return outcome, enterprise.tax_id, line_ids


def _move_seat(uow: UnitOfWork, seat: Any, order_id: str, target: str) -> str:
    """Moves one seat to a new one-seat line of the target; returns the new line's id."""
    shrunk = uow.session.execute(
        update(order_lines).where(order_lines.c.id == seat.id, order_lines.c.quantity >= 1, order_lines.c.allocated >= 1)
        .values(quantity=order_lines.c.quantity - 1, allocated=order_lines.c.allocated - 1)
    )
    if shrunk.rowcount != 1:
        raise Problem(409, "seat_changed_meanwhile", "a seat of this enterprise changed during the move; retry")
    line_id = str(uuid.uuid4())
    uow.session.execute(order_lines.insert().values(
        id=line_id, order_id=order_id, tenant_id=target, product_code=seat.product_code, kind="seat",
        service_group=seat.service_group, quantity=1, allocated=1, remaining=0, valid_from=seat.valid_from,
        valid_to=seat.valid_to, serial_number=f"{seat.serial_number}-T{secrets.token_hex(3).upper()}", activated=True,
    ))
    uow.session.execute(update(allocations).where(allocations.c.id == seat.allocation_id)
                        .values(order_line_id=line_id, tenant_id=target))
    return line_id


def _merge_tenants(uow: UnitOfWork, source: str, target: str) -> dict[str, Any]:
    """Everything the source tenant holds (orders, lines, enterprises, seats, grants, usage) moves to the target."""
    moved = {}
    for table in MERGED_TABLES:
        if table is usage_daily:
            moved[table.name] = _fold_daily_totals(uow.session, source, target)
            continue
        result = uow.session.execute(update(table).where(table.c.tenant_id == source).values(tenant_id=target))
        moved[table.name] = result.rowcount
    return {"from_tenant_id": source, "to_tenant_id": target, "rows_moved": moved}


def _fold_daily_totals(session: Session, source: str, target: str) -> int:
    """The source's daily totals are added to the target's (both may hold a row for one day, product and tax ID,
    e.g. tenant-level SMS traffic)."""
    rows = [dict(row._mapping, tenant_id=target)
            for row in session.execute(select(usage_daily).where(usage_daily.c.tenant_id == source))]
    if rows:
        upsert_daily_totals(session, rows)
        session.execute(delete(usage_daily).where(usage_daily.c.tenant_id == source))
    return len(rows)


def requests_query(tenant_id: str | None, status: str | None) -> Any:
    query = select(change_requests).order_by(change_requests.c.submitted_at.desc(), change_requests.c.id)
    if tenant_id is not None:
        query = query.where(change_requests.c.tenant_id == tenant_id)
    return query.where(change_requests.c.status == status) if status else query
