"""Seat rules of the licensing saga (ENT-11, seed 004)."""
from __future__ import annotations

NO_REMAINING_ENTITLEMENT = "no_remaining_entitlement"
SERIAL_NUMBER_REQUIRED = "serial_number_required"
UNKNOWN_SERIAL_NUMBER = "unknown_serial_number"
ENTERPRISE_OF_OTHER_TENANT = "enterprise_of_other_tenant"


def needs_serial_number(license_type: str | None, idc: bool | None) -> bool:
    """Seed 004: a formal license outside an IDC needs no serial number; IDC, temporary and none do."""
    if license_type == "formal":
        return bool(idc)
    return license_type in ("temporary", "none")


def seat_subject(tenant_id: str, tax_id: str, service_group: str) -> str:
    return f"{tenant_id}:{tax_id}:{service_group}"
