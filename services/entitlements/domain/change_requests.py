"""Change requests (ENT-8, seed 001 special cases): kinds, review decisions, what is chargeable."""
from __future__ import annotations

TAX_ID_REPLACEMENT = "tax_id_replacement"
ENTERPRISE_MOVE = "enterprise_move"
TENANT_MERGE = "tenant_merge"
KINDS = (TAX_ID_REPLACEMENT, ENTERPRISE_MOVE, TENANT_MERGE)
DECISIONS = ("approve", "reject")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"

CHARGEABLE_SERVICE_GROUP = "invoice_issuing"


def is_chargeable(kind: str, held_service_groups: set[str]) -> bool:
    """Seed 001: replacing the tax ID of invoicing (开票) rights is paid for."""
    return kind == TAX_ID_REPLACEMENT and CHARGEABLE_SERVICE_GROUP in held_service_groups


def status_after(decision: str) -> str:
    return APPROVED if decision == "approve" else REJECTED
