"""Reading and writing ERP instances, imported enterprises, licenses and the licensed-seat read model."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from services.licensing.adapters.orm import enterprises, erp_instances, licensed_seats, licenses
from services.licensing.domain.model import (
    AuthorizationStatus,
    License,
    LicenseType,
    ServiceGroup,
    SyncAction,
    SyncStatus,
)


@dataclass
class ErpInstance:
    tenant_id: str
    license_type: LicenseType
    idc: bool
    serial_numbers: dict[ServiceGroup, str | None]
    created_at: datetime
    updated_at: datetime


def get_erp_instance(session: Session, tenant_id: str, *, for_update: bool = False) -> ErpInstance | None:
    query = select(erp_instances).where(erp_instances.c.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        return None
    return ErpInstance(
        tenant_id=row.tenant_id,
        license_type=LicenseType(row.license_type),
        idc=row.idc,
        serial_numbers={
            ServiceGroup.INVOICE_ISSUING: row.serial_invoice_issuing,
            ServiceGroup.INVOICE_RECEIVING: row.serial_invoice_receiving,
        },
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add_erp_instance(session: Session, instance: ErpInstance) -> None:
    session.execute(erp_instances.insert().values(**_erp_values(instance), created_at=instance.created_at))


def save_erp_instance(session: Session, instance: ErpInstance) -> None:
    session.execute(update(erp_instances).where(erp_instances.c.tenant_id == instance.tenant_id).values(**_erp_values(instance)))


def _erp_values(instance: ErpInstance) -> dict[str, Any]:
    return {
        "tenant_id": instance.tenant_id,
        "license_type": instance.license_type.value,
        "idc": instance.idc,
        "serial_invoice_issuing": instance.serial_numbers[ServiceGroup.INVOICE_ISSUING],
        "serial_invoice_receiving": instance.serial_numbers[ServiceGroup.INVOICE_RECEIVING],
        "updated_at": instance.updated_at,
    }


def imported_tax_ids(session: Session, tenant_id: str, tax_ids: Iterable[str]) -> set[str]:
    query = select(enterprises.c.tax_id).where(enterprises.c.tenant_id == tenant_id, enterprises.c.tax_id.in_(list(tax_ids)))
    return set(session.execute(query).scalars())


def add_enterprise(session: Session, tenant_id: str, tax_id: str, name: str, now: datetime) -> None:
    """Imports an enterprise with an unauthorized license in every service group."""
    enterprise_id = session.execute(
        enterprises.insert().values(tenant_id=tenant_id, tax_id=tax_id, name=name, imported_at=now).returning(enterprises.c.id)
    ).scalar_one()
    session.execute(
        licenses.insert(),
        [
            {
                "enterprise_id": enterprise_id,
                "tenant_id": tenant_id,
                "tax_id": tax_id,
                "service_group": group.value,
                "authorization_status": AuthorizationStatus.UNAUTHORIZED.value,
            }
            for group in ServiceGroup
        ],
    )


@dataclass
class StoredLicense:
    """A license with its row id (for writing it back) and its enterprise's name."""

    id: int
    enterprise_name: str
    license: License


def _license_query() -> Select:
    return select(licenses, enterprises.c.name.label("enterprise_name")).join(enterprises, enterprises.c.id == licenses.c.enterprise_id)


def _to_stored(row: Any) -> StoredLicense:
    return StoredLicense(
        id=row.id,
        enterprise_name=row.enterprise_name,
        license=License(
            tenant_id=row.tenant_id,
            tax_id=row.tax_id,
            service_group=ServiceGroup(row.service_group),
            authorization_status=AuthorizationStatus(row.authorization_status),
            authorized_at=row.authorized_at,
            authorized_by=row.authorized_by,
            authorized_by_name=row.authorized_by_name,
            sync_action=SyncAction(row.sync_action) if row.sync_action else None,
            sync_status=SyncStatus(row.sync_status) if row.sync_status else None,
            sync_error=row.sync_error,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            cancelled_at=row.cancelled_at,
            request_id=row.request_id,
        ),
    )


# The saga's statements, built once with bind parameters (SQLAlchemy then compiles and cache-keys each
# once instead of per call: most of the answer handler's CPU before, bench/README.md "Helper C").
_LICENSES_FOR_UPDATE = (
    _license_query()
    .where(licenses.c.tenant_id == bindparam("tenant_id"), licenses.c.service_group == bindparam("service_group"),
           licenses.c.tax_id.in_(bindparam("tax_ids", expanding=True)))
    .order_by(licenses.c.id)
    .with_for_update(of=licenses)
)
_LICENSE_FOR_UPDATE = (
    _license_query()
    .where(licenses.c.tenant_id == bindparam("tenant_id"), licenses.c.service_group == bindparam("service_group"),
           licenses.c.tax_id == bindparam("tax_id"))
    .with_for_update(of=licenses)
)
_SAVE_LICENSE = (
    update(licenses)
    .where(licenses.c.id == bindparam("license_id"))
    .values({column: bindparam(column) for column in (
        "authorization_status", "authorized_at", "authorized_by", "authorized_by_name", "sync_action", "sync_status", "sync_error",
        "valid_from", "valid_to", "cancelled_at", "request_id")})
)


def licenses_for_update(session: Session, tenant_id: str, group: ServiceGroup, tax_ids: Iterable[str]) -> dict[str, StoredLicense]:
    """Locks the licenses of these tax IDs (in id order, so overlapping batches never deadlock)."""
    rows = session.execute(_LICENSES_FOR_UPDATE, {"tenant_id": tenant_id, "service_group": group.value, "tax_ids": list(tax_ids)})
    return {row.tax_id: _to_stored(row) for row in rows}


def license_for_update(session: Session, tenant_id: str, tax_id: str, group: ServiceGroup) -> StoredLicense | None:
    row = session.execute(_LICENSE_FOR_UPDATE, {"tenant_id": tenant_id, "service_group": group.value, "tax_id": tax_id}).first()
    return _to_stored(row) if row is not None else None


_LICENSE_OF_REQUEST_FOR_UPDATE = (
    _license_query()
    .where(licenses.c.request_id == bindparam("request_id"), licenses.c.service_group == bindparam("service_group"))
    .with_for_update(of=licenses)
)


def license_of_request_for_update(session: Session, request_id: str, group: ServiceGroup) -> StoredLicense | None:
    """The license whose current sync is `request_id`, wherever it is filed now (a change request may have moved
    it to another tenant or tax ID while entitlements was answering)."""
    row = session.execute(_LICENSE_OF_REQUEST_FOR_UPDATE, {"request_id": request_id, "service_group": group.value}).first()
    return _to_stored(row) if row is not None else None


def licenses_of_tax_id(session: Session, tenant_id: str, tax_id: str) -> list[License]:
    query = _license_query().where(licenses.c.tenant_id == tenant_id, licenses.c.tax_id == tax_id)
    return [_to_stored(row).license for row in session.execute(query)]


def _license_values(stored: StoredLicense) -> dict[str, Any]:
    lic = stored.license
    return {
        "license_id": stored.id,
        "authorization_status": lic.authorization_status.value,
        "authorized_at": lic.authorized_at,
        "authorized_by": lic.authorized_by,
        "authorized_by_name": lic.authorized_by_name,
        "sync_action": lic.sync_action.value if lic.sync_action else None,
        "sync_status": lic.sync_status.value if lic.sync_status else None,
        "sync_error": lic.sync_error,
        "valid_from": lic.valid_from,
        "valid_to": lic.valid_to,
        "cancelled_at": lic.cancelled_at,
        "request_id": lic.request_id,
    }


def save_license(session: Session, stored: StoredLicense) -> None:
    session.execute(_SAVE_LICENSE, _license_values(stored))


def save_licenses(session: Session, stored: list[StoredLicense]) -> None:
    """Writes several licenses back with one executemany (a batch's changes)."""
    if stored:
        session.execute(_SAVE_LICENSE, [_license_values(one) for one in stored])


def license_list_query(tenant_id: str, group: ServiceGroup, status: AuthorizationStatus | None, search: str | None) -> Select:
    query = _license_query().where(licenses.c.tenant_id == tenant_id, licenses.c.service_group == group.value)
    if status is not None:
        query = query.where(licenses.c.authorization_status == status.value)
    if search:
        pattern = f"%{search}%"
        query = query.where(licenses.c.tax_id.like(pattern) | enterprises.c.name.like(pattern))
    return query.order_by(licenses.c.id)


def stored_license(row: Any) -> StoredLicense:
    return _to_stored(row)


def authorized_count(session: Session, tenant_id: str, group: ServiceGroup) -> int:
    query = select(func.count()).where(
        licenses.c.tenant_id == tenant_id,
        licenses.c.service_group == group.value,
        licenses.c.authorization_status == AuthorizationStatus.AUTHORIZED.value,
    )
    return session.execute(query).scalar_one()


def licensed_total(session: Session, tenant_id: str, group: ServiceGroup, today: date) -> int:
    """Seats of this group delivered to the tenant on lines that have not expired."""
    query = select(func.coalesce(func.sum(licensed_seats.c.quantity), 0)).where(
        licensed_seats.c.tenant_id == tenant_id,
        licensed_seats.c.service_group == group.value,
        licensed_seats.c.valid_to.is_(None) | (licensed_seats.c.valid_to >= today),
    )
    return int(session.execute(query).scalar_one())


def record_licensed_seats(session: Session, tenant_id: str, lines: list[dict[str, Any]]) -> None:
    """Adds delivered seat lines not yet known (a line is recorded once, whatever the redeliveries)."""
    known = set(
        session.execute(
            select(licensed_seats.c.order_line_id).where(licensed_seats.c.order_line_id.in_([line["order_line_id"] for line in lines]))
        ).scalars()
    )
    new = [{**line, "tenant_id": tenant_id} for line in lines if line["order_line_id"] not in known]
    if new:
        session.execute(licensed_seats.insert(), new)


# ---- following entitlements' change requests (entitlements.rights.moved.v1) -------------------------


def upsert_licensed_seats(session: Session, lines: list[dict[str, Any]]) -> int:
    """Sets each line's tenant and quantity as given (the line's current state); unknown lines are added.
    Returns how many rows changed."""
    changed = 0
    for line in lines:
        row = session.execute(select(licensed_seats).where(licensed_seats.c.order_line_id == line["order_line_id"])
                              .with_for_update()).first()
        if row is None:
            session.execute(licensed_seats.insert().values(**line))
            changed += 1
        elif any(getattr(row, key) != value for key, value in line.items()):
            session.execute(update(licensed_seats).where(licensed_seats.c.order_line_id == line["order_line_id"]).values(**line))
            changed += 1
    return changed


def move_licensed_seats(session: Session, from_tenant: str, to_tenant: str) -> int:
    return session.execute(update(licensed_seats).where(licensed_seats.c.tenant_id == from_tenant)
                           .values(tenant_id=to_tenant)).rowcount


def has_erp_instance(session: Session, tenant_id: str) -> bool:
    return session.execute(select(erp_instances.c.tenant_id).where(erp_instances.c.tenant_id == tenant_id)).first() is not None


def imported_enterprises(session: Session, tenant_id: str) -> list[str]:
    return list(session.execute(select(enterprises.c.tax_id).where(enterprises.c.tenant_id == tenant_id)
                                .order_by(enterprises.c.id)).scalars())


def _enterprise_for_update(session: Session, tenant_id: str, tax_id: str) -> Any:
    return session.execute(select(enterprises).where(enterprises.c.tenant_id == tenant_id, enterprises.c.tax_id == tax_id)
                           .with_for_update()).first()


def _licenses_of_enterprise(session: Session, enterprise_id: int) -> dict[str, StoredLicense]:
    rows = session.execute(_license_query().where(licenses.c.enterprise_id == enterprise_id).order_by(licenses.c.id)
                           .with_for_update(of=licenses))
    return {row.service_group: _to_stored(row) for row in rows}


def carry_enterprise(session: Session, from_tenant: str, from_tax_id: str, to_tenant: str, to_tax_id: str) -> dict[str, Any]:
    """Moves an imported enterprise and its licenses to (to_tenant, to_tax_id), which must have an ERP
    instance. Where the destination already holds a license of that tax ID and group, the row that
    records more of a right (`License.standing`; the moved one on a tie) stays and the other is deleted.
    Nothing to carry (already carried) changes nothing. Returns what happened per service group."""
    source = _enterprise_for_update(session, from_tenant, from_tax_id)
    if source is None or (from_tenant, from_tax_id) == (to_tenant, to_tax_id):
        return {}
    target = _enterprise_for_update(session, to_tenant, to_tax_id)
    if target is None:
        session.execute(update(enterprises).where(enterprises.c.id == source.id).values(tenant_id=to_tenant, tax_id=to_tax_id))
        moved = session.execute(update(licenses).where(licenses.c.enterprise_id == source.id)
                                .values(tenant_id=to_tenant, tax_id=to_tax_id))
        return {"enterprise": "moved", "licenses_moved": moved.rowcount}
    kept: dict[str, str] = {}
    theirs = _licenses_of_enterprise(session, target.id)
    for group, ours in _licenses_of_enterprise(session, source.id).items():
        existing = theirs.get(group)
        if existing is not None and existing.license.standing > ours.license.standing:
            session.execute(licenses.delete().where(licenses.c.id == ours.id))
            kept[group] = "destination_kept"
            continue
        if existing is not None:
            session.execute(licenses.delete().where(licenses.c.id == existing.id))
        session.execute(update(licenses).where(licenses.c.id == ours.id)
                        .values(tenant_id=to_tenant, tax_id=to_tax_id, enterprise_id=target.id))
        kept[group] = "moved_replaced_destination" if existing is not None else "moved"
    session.execute(enterprises.delete().where(enterprises.c.id == source.id))
    return {"enterprise": "joined_existing_import", "licenses": kept}


def drop_enterprise(session: Session, tenant_id: str, tax_id: str) -> list[dict[str, Any]]:
    """Removes an imported enterprise and its licenses; returns the licenses as they were (for the audit)."""
    source = _enterprise_for_update(session, tenant_id, tax_id)
    if source is None:
        return []
    dropped = [{**_license_values(stored), "service_group": group, "license_id": stored.id}
               for group, stored in _licenses_of_enterprise(session, source.id).items()]
    session.execute(licenses.delete().where(licenses.c.enterprise_id == source.id))
    session.execute(enterprises.delete().where(enterprises.c.id == source.id))
    return dropped


def fold_erp_instance(session: Session, from_tenant: str, to_tenant: str) -> str | None:
    """A merged tenant's ERP instance: becomes the target's when the target has none; else the target
    keeps its own settings and takes the source's serial numbers only where it has none. The caller
    deletes the source's instance (`drop_erp_instance`) once its enterprises have moved."""
    source = get_erp_instance(session, from_tenant, for_update=True)
    if source is None:
        return None
    target = get_erp_instance(session, to_tenant, for_update=True)
    if target is None:
        add_erp_instance(session, ErpInstance(to_tenant, source.license_type, source.idc, dict(source.serial_numbers),
                                              source.created_at, source.updated_at))
        return "taken_over"
    filled = {group: target.serial_numbers[group] or source.serial_numbers[group] for group in ServiceGroup}
    if filled != target.serial_numbers:
        target.serial_numbers = filled
        save_erp_instance(session, target)
    return "target_kept"


def drop_erp_instance(session: Session, tenant_id: str) -> None:
    session.execute(erp_instances.delete().where(erp_instances.c.tenant_id == tenant_id))
