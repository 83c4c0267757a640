"""Use cases of the tenant's ERP instance: its license type, its product serial numbers, its enterprises."""
from __future__ import annotations

from dataclasses import dataclass

from services.licensing.adapters import repository
from services.licensing.adapters.repository import ErpInstance
from services.licensing.domain.model import LicenseType, ServiceGroup
from shared.errors import Problem
from shared.uow import UnitOfWork


def erp_instance_of(uow: UnitOfWork, tenant_id: str) -> ErpInstance:
    instance = repository.get_erp_instance(uow.session, tenant_id)
    if instance is None:
        raise Problem(409, "erp_instance_missing", "set up the ERP instance first (PUT /licensing/v1/erp-instance)")
    return instance


def configure_erp_instance(uow: UnitOfWork, tenant_id: str, license_type: LicenseType, idc: bool) -> ErpInstance:
    """Creates the tenant's ERP instance on first call, then changes its license type."""
    now = uow.clock.now()
    instance = repository.get_erp_instance(uow.session, tenant_id, for_update=True)
    if instance is None:
        instance = ErpInstance(tenant_id, license_type, idc, {group: None for group in ServiceGroup}, now, now)
        repository.add_erp_instance(uow.session, instance)
    else:
        instance.license_type, instance.idc, instance.updated_at = license_type, idc, now
        repository.save_erp_instance(uow.session, instance)
    uow.audit("erp_instance.configured", "erp_instance", tenant_id, {"license_type": license_type.value, "idc": idc})
    return instance


def set_serial_numbers(uow: UnitOfWork, tenant_id: str, serial_numbers: dict[ServiceGroup, str | None]) -> ErpInstance:
    instance = repository.get_erp_instance(uow.session, tenant_id, for_update=True)
    if instance is None:
        raise Problem(409, "erp_instance_missing", "set up the ERP instance first (PUT /licensing/v1/erp-instance)")
    instance.serial_numbers = dict(serial_numbers)
    instance.updated_at = uow.clock.now()
    repository.save_erp_instance(uow.session, instance)
    uow.audit("serial_numbers.set", "erp_instance", tenant_id, {group.value: sn for group, sn in serial_numbers.items()})
    return instance


@dataclass(frozen=True)
class ImportResult:
    tax_id: str
    ok: bool
    code: str


def import_enterprises(uow: UnitOfWork, tenant_id: str, enterprises: list[tuple[str, str]]) -> list[ImportResult]:
    """Imports (tax ID, name) pairs into the ERP instance; a tax ID already there is refused, the rest go on."""
    erp_instance_of(uow, tenant_id)
    known = repository.imported_tax_ids(uow.session, tenant_id, [tax_id for tax_id, _ in enterprises])
    results = []
    for tax_id, name in enterprises:
        if tax_id in known:
            results.append(ImportResult(tax_id, False, "already_imported"))
            continue
        repository.add_enterprise(uow.session, tenant_id, tax_id, name, uow.clock.now())
        known.add(tax_id)
        uow.audit("enterprise.imported", "enterprise", tax_id, {"name": name})
        results.append(ImportResult(tax_id, True, "imported"))
    return results
