"""Devices of customer companies: registration, the status views, deactivation, expiry maintenance,
package bindings (per device or per device type) and value-added packages."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import device_value_added, devices, order_items, orders, packages
from services.billing.domain import devices as rules
from services.billing.domain.errors import NotFound, RuleViolation, StateConflict
from services.billing.service_layer import catalog, order_numbers
from services.billing.service_layer.companies import Caller, companies_in_scope, company_tree, require_company
from shared.uow import UnitOfWork


def register_device(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any]:
    session = uow.session
    require_company(session, fields["company_id"])
    if _device(session, fields["device_id"]) is not None:
        raise StateConflict("device_exists", f"device {fields['device_id']} already exists")
    package_code = fields.pop("package_code", None)
    if package_code:
        _require_renewal_package(session, package_code)
    session.execute(devices.insert().values(**fields, package_code=package_code, status=rules.ACTIVE, created_at=uow.clock.now()))
    uow.audit(
        "device.registered",
        "device",
        fields["device_id"],
        {**fields, "expires_on": fields["expires_on"].isoformat(), "package_code": package_code},
    )
    return require_device(session, fields["device_id"])


def device_query(session: Session, caller: Caller, filters: dict[str, Any], today: date) -> Any:
    """Devices in the caller's scope, narrowed by view (`status`), company, type, package and id search."""
    query = select(devices).order_by(devices.c.expires_on, devices.c.device_id)
    visible = companies_in_scope(session, caller, filters.get("company_id"), filters.get("scope", "all"))
    if visible is not None:
        query = query.where(devices.c.company_id.in_(visible))
    view = filters.get("status")
    soon = today + timedelta(days=rules.EXPIRING_WITHIN_DAYS)
    if view == "deactivated":
        query = query.where(devices.c.status == rules.DEACTIVATED)
    elif view in ("active", "expiring", "expired"):
        query = query.where(devices.c.status == rules.ACTIVE)
        query = {
            "active": query.where(devices.c.expires_on >= today),
            "expiring": query.where(devices.c.expires_on >= today, devices.c.expires_on <= soon),
            "expired": query.where(devices.c.expires_on < today),
        }[view]
    if filters.get("type"):
        query = query.where(devices.c.type == filters["type"])
    if filters.get("bound") is not None:
        query = query.where(devices.c.package_code.is_not(None) if filters["bound"] else devices.c.package_code.is_(None))
    if filters.get("package_code"):
        query = query.where(devices.c.package_code == filters["package_code"])
    if filters.get("q"):
        query = query.where(devices.c.device_id.contains(filters["q"], autoescape=True))
    return query


def set_active(uow: UnitOfWork, caller: Caller, device_ids: list[str], active: bool) -> dict[str, Any]:
    """Deactivate or reactivate a batch; every id must be visible, or nothing changes (404)."""
    rows = visible_devices(uow.session, caller, device_ids)
    target = rules.ACTIVE if active else rules.DEACTIVATED
    changed = [r.device_id for r in rows if r.status != target]
    if changed:
        uow.session.execute(
            devices.update()
            .where(devices.c.device_id.in_(changed))
            .values(status=target, deactivated_at=None if active else uow.clock.now())
        )
    uow.audit("device.reactivated" if active else "device.deactivated", "device", None, {"device_ids": changed})
    return {"changed": changed, "unchanged": [r.device_id for r in rows if r.status == target]}


def change_expiry(uow: UnitOfWork, caller: Caller, device_id: str, expires_on: date) -> dict[str, Any]:
    before = visible_devices(uow.session, caller, [device_id])[0]
    uow.session.execute(devices.update().where(devices.c.device_id == device_id).values(expires_on=expires_on))
    uow.audit("device.expiry_changed", "device", device_id, {"from": before.expires_on.isoformat(), "to": expires_on.isoformat()})
    return require_device(uow.session, device_id)


def bind_package(
    uow: UnitOfWork, caller: Caller, company_id: str, package_code: str, device_ids: list[str] | None, device_type: str | None
) -> list[str]:
    """Bind a renewal package to listed devices of the company, or to all its devices of one type."""
    session = uow.session
    require_company(session, company_id)
    _require_renewal_package(session, package_code)
    if device_ids:
        rows = visible_devices(session, caller, device_ids)
        foreign = [r.device_id for r in rows if r.company_id != company_id]
        if foreign:
            raise RuleViolation("device_of_other_company", "devices must belong to the chosen company", device_ids=foreign)
        bound = [r.device_id for r in rows]
    else:
        bound = list(
            session.execute(select(devices.c.device_id).where(devices.c.company_id == company_id, devices.c.type == device_type)).scalars()
        )
    if bound:
        session.execute(devices.update().where(devices.c.device_id.in_(bound)).values(package_code=package_code))
    uow.audit("binding.created", "company", company_id, {"package_code": package_code, "device_type": device_type, "device_ids": bound})
    return bound


def unbind_package(uow: UnitOfWork, caller: Caller, device_ids: list[str]) -> list[str]:
    rows = visible_devices(uow.session, caller, device_ids)
    ids = [r.device_id for r in rows]
    uow.session.execute(devices.update().where(devices.c.device_id.in_(ids)).values(package_code=None))
    uow.audit("binding.removed", "device", None, {"device_ids": ids})
    return ids


def add_value_added(uow: UnitOfWork, caller: Caller, company_id: str, package_code: str, device_ids: list[str]) -> dict[str, Any]:
    """Add a value-added package to bound devices; the company gets one value-added order to pay."""
    session = uow.session
    require_company(session, company_id)
    package = catalog.require_package(session, package_code)
    if package["kind"] != "value_added":
        raise RuleViolation("not_a_value_added_package", "choose a package of a value-added category")
    rows = visible_devices(session, caller, device_ids)
    _require_value_added_targets(session, rows, company_id, package_code)
    now, order_id = uow.clock.now(), str(uuid.uuid4())
    amount = package["price_minor"] * len(rows)
    session.execute(
        orders.insert().values(
            id=order_id,
            order_no=order_numbers.new("value_added", now),
            company_id=company_id,
            kind="value_added",
            status="pending_payment",
            amount_minor=amount,
            currency=package["currency"],
            auto=False,
            created_by=caller.user_id,
            created_at=now,
            confirmed_at=now,
        )
    )
    for row in rows:
        session.execute(
            order_items.insert().values(
                order_id=order_id, device_id=row.device_id, package_code=package_code, amount_minor=package["price_minor"]
            )
        )
        session.execute(
            device_value_added.insert().values(
                device_id=row.device_id, package_code=package_code, order_id=order_id, status="pending_payment", added_at=now
            )
        )
    uow.audit("value_added.added", "company", company_id, {"package_code": package_code, "device_ids": device_ids, "order_id": order_id})
    return {"order_id": order_id, "amount_minor": amount, "currency": package["currency"], "device_ids": [r.device_id for r in rows]}


def value_added_query(session: Session, caller: Caller, company_id: str | None, scope: str) -> Any:
    query = (
        select(device_value_added, devices.c.company_id, devices.c.type)
        .join(devices, devices.c.device_id == device_value_added.c.device_id)
        .order_by(device_value_added.c.id)
    )
    visible = companies_in_scope(session, caller, company_id, scope)
    if visible is not None:
        query = query.where(devices.c.company_id.in_(visible))
    return query


def visible_devices(session: Session, caller: Caller, device_ids: list[str]) -> list[Any]:
    """The listed devices, each one visible to the caller (404 naming the first that is not)."""
    wanted = list(dict.fromkeys(device_ids))
    rows = {r.device_id: r for r in session.execute(select(devices).where(devices.c.device_id.in_(wanted)))}
    scope = None if caller.staff else company_tree(session, caller.company_id or "")
    for device_id in wanted:
        if device_id not in rows or (scope is not None and rows[device_id].company_id not in scope):
            raise NotFound(f"device {device_id}")
    return [rows[d] for d in wanted]


def require_device(session: Session, device_id: str) -> dict[str, Any]:
    row = _device(session, device_id)
    if row is None:
        raise NotFound("device")
    return dict(row._mapping)


def _require_value_added_targets(session: Session, rows: list[Any], company_id: str, package_code: str) -> None:
    unbound = [r.device_id for r in rows if r.package_code is None]
    if unbound:
        raise RuleViolation("device_without_package", "value-added packages go on devices with a bound package", device_ids=unbound)
    foreign = [r.device_id for r in rows if r.company_id != company_id]
    if foreign:
        raise RuleViolation("device_of_other_company", "devices must belong to the chosen company", device_ids=foreign)
    present = (
        session.execute(
            select(device_value_added.c.device_id).where(
                and_(device_value_added.c.package_code == package_code, device_value_added.c.device_id.in_([r.device_id for r in rows]))
            )
        )
        .scalars()
        .all()
    )
    if present:
        raise StateConflict("value_added_exists", "these devices already have that value-added package", device_ids=list(present))


def _require_renewal_package(session: Session, package_code: str) -> None:
    kind = session.execute(select(packages.c.kind).where(packages.c.code == package_code)).scalar_one_or_none()
    if kind is None:
        raise RuleViolation("unknown_package", f"package {package_code} does not exist", errors={"package_code": ["unknown"]})
    if kind != "renewal":
        raise RuleViolation("not_a_renewal_package", "bind a package of a renewal category")


def _device(session: Session, device_id: str) -> Any:
    return session.execute(select(devices).where(devices.c.device_id == device_id)).first()
