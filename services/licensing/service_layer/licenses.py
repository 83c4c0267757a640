"""Use cases of license authorization: authorize, cancel and re-sync in batch, per tax ID.

Each batch runs in the caller's unit of work: the licenses it touches are locked (SELECT ... FOR
UPDATE), every change writes its saga event to the outbox in the same transaction, and every
per-tax-ID outcome is audited. One tax ID's refusal never stops the rest of the batch.
"""
from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.licensing.adapters import repository
from services.licensing.adapters.repository import ErpInstance, StoredLicense
from services.licensing.domain.model import (
    SERIAL_NUMBER_REQUIRED,
    LicenseRefused,
    ServiceGroup,
    SyncAction,
    SyncStatus,
    serial_number_required,
)
from services.licensing.service_layer.erp import erp_instance_of
from shared import outbox
from shared.uow import UnitOfWork

LICENSE_AUTHORIZED = "licensing.license.authorized.v1"
LICENSE_CANCELLED = "licensing.license.cancelled.v1"


@dataclass(frozen=True)
class TaxIdResult:
    """The outcome of a batch operation for one tax ID."""

    tax_id: str
    ok: bool
    code: str
    unlock_on: date | None = None
    sync_status: SyncStatus | None = None
    sync_error: str | None = None


Step = Callable[[UnitOfWork, ErpInstance, StoredLicense, str], None]


def authorize(uow: UnitOfWork, tenant_id: str, group: ServiceGroup, tax_ids: list[str], by: str,
              by_name: str | None = None) -> list[TaxIdResult]:
    def step(uow: UnitOfWork, erp: ErpInstance, stored: StoredLicense, request_id: str) -> None:
        stored.license.authorize(by, uow.clock.now(), request_id, by_name)
        _send_authorization(uow, erp, stored)

    return _run_batch(uow, tenant_id, group, tax_ids, "authorize", "authorized", step)


def cancel(uow: UnitOfWork, tenant_id: str, group: ServiceGroup, tax_ids: list[str]) -> list[TaxIdResult]:
    def step(uow: UnitOfWork, erp: ErpInstance, stored: StoredLicense, request_id: str) -> None:
        stored.license.cancel(uow.clock.now(), request_id)
        _send_cancellation(uow, stored)

    return _run_batch(uow, tenant_id, group, tax_ids, "cancel", "cancelled", step)


def resync(uow: UnitOfWork, tenant_id: str, group: ServiceGroup, tax_ids: list[str], action: SyncAction) -> list[TaxIdResult]:
    def sync_authorization(uow: UnitOfWork, erp: ErpInstance, stored: StoredLicense, request_id: str) -> None:
        stored.license.resend_authorization(request_id)
        _send_authorization(uow, erp, stored)

    def sync_cancellation(uow: UnitOfWork, erp: ErpInstance, stored: StoredLicense, request_id: str) -> None:
        stored.license.resend_cancellation(request_id)
        _send_cancellation(uow, stored)

    step = sync_authorization if action is SyncAction.AUTHORIZE else sync_cancellation
    return _run_batch(uow, tenant_id, group, tax_ids, f"sync_{action.value}", "sync_requested", step)


def _run_batch(
    uow: UnitOfWork, tenant_id: str, group: ServiceGroup, tax_ids: list[str], action: str, success_code: str, step: Step
) -> list[TaxIdResult]:
    erp = erp_instance_of(uow, tenant_id)
    found = repository.licenses_for_update(uow.session, tenant_id, group, set(tax_ids))
    results, changed, audits = [], [], []
    own_buffer = outbox.buffered(uow.session)  # the batch's events, licenses and audit rows: one executemany each
    try:
        for tax_id in tax_ids:
            stored = found.get(tax_id)
            result = _run_step(uow, erp, stored, tax_id, success_code, step)
            detail = {"service_group": group.value, "ok": result.ok, "code": result.code}
            if result.ok and stored is not None:
                detail["request_id"] = stored.license.request_id
                changed.append(stored)
            audits.append(_audit_row(uow, f"license.{action}", f"{tax_id}:{group.value}", detail))
            results.append(result)
        repository.save_licenses(uow.session, changed)
        uow.session.execute(_audit_insert(uow.tables.audit_log), audits)
        if own_buffer:
            outbox.flush(uow.session)
    finally:
        if own_buffer:
            outbox.discard(uow.session)
    return results


@functools.cache
def _audit_insert(table: Any) -> Any:
    return table.insert()


def _audit_row(uow: UnitOfWork, action: str, target_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    """UnitOfWork.audit's row (written with the batch's others in one executemany)."""
    return {"at": uow.clock.now(), "actor_id": uow.actor.id, "actor_org_id": uow.actor.org_id, "action": action,
            "target_type": "license", "target_id": target_id, "detail": detail, "request_id": uow.actor.request_id}


def _run_step(
    uow: UnitOfWork, erp: ErpInstance, stored: StoredLicense | None, tax_id: str, success_code: str, step: Step
) -> TaxIdResult:
    if stored is None:
        return TaxIdResult(tax_id, False, "enterprise_not_imported")
    try:
        step(uow, erp, stored, str(uuid.uuid4()))
    except LicenseRefused as refused:
        return TaxIdResult(tax_id, False, refused.code, unlock_on=refused.unlock_on)
    return TaxIdResult(tax_id, True, success_code, sync_status=stored.license.sync_status, sync_error=stored.license.sync_error)


def _subject(stored: StoredLicense) -> str:
    lic = stored.license
    return f"{lic.tenant_id}:{lic.tax_id}:{lic.service_group.value}"


def _send_authorization(uow: UnitOfWork, erp: ErpInstance, stored: StoredLicense) -> None:
    """Asks entitlements for a seat, unless a serial number the license type needs is missing."""
    lic = stored.license
    serial_number = erp.serial_numbers[lic.service_group]
    if serial_number is None and serial_number_required(erp.license_type, erp.idc):
        lic.fail_sync(SERIAL_NUMBER_REQUIRED)
        return
    uow.emit(
        LICENSE_AUTHORIZED,
        _subject(stored),
        {
            "tenant_id": lic.tenant_id,
            "request_id": lic.request_id,
            "tax_id": lic.tax_id,
            "enterprise_name": stored.enterprise_name,
            "service_group": lic.service_group.value,
            "serial_number": serial_number,
            "license_type": erp.license_type.value,
            "idc": erp.idc,
            "authorized_by": lic.authorized_by,
        },
        tenant_id=lic.tenant_id,
    )


def _send_cancellation(uow: UnitOfWork, stored: StoredLicense) -> None:
    lic = stored.license
    uow.emit(
        LICENSE_CANCELLED,
        _subject(stored),
        {"tenant_id": lic.tenant_id, "request_id": lic.request_id, "tax_id": lic.tax_id, "service_group": lic.service_group.value},
        tenant_id=lic.tenant_id,
    )
