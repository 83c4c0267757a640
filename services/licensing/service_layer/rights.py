"""Following entitlements' approved change requests (SPEC ENT-8, `entitlements.rights.moved.v1`).

On approval entitlements moves the rights; licensing moves what it keeps of them: the seat totals
(`licensed_seats`, the AA) and the imported enterprises with their licenses (the A). Each step is
idempotent on its own (absolute seat quantities, a move finds nothing left to move), so a redelivery
that passed the inbox would change nothing more.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from services.licensing.adapters import repository
from services.licensing.service_layer.seat_lines import GROUPS, licensed_seat
from shared.envelope import Event
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

RIGHTS_MOVED = "entitlements.rights.moved.v1"


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date | datetime) else value for key, value in values.items()}


def _seat_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**licensed_seat(line["order_line_id"], line), "tenant_id": str(line["tenant_id"])}
        for line in data.get("seat_lines") or []
        if line.get("service_group") in GROUPS
    ]


def on_rights_moved(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    kind, source, target = str(data["kind"]), str(data["from_tenant_id"]), str(data["to_tenant_id"])
    session = uow.session
    outcome: dict[str, Any] = {"kind": kind, "from_tenant_id": source, "to_tenant_id": target,
                               "seat_lines_changed": repository.upsert_licensed_seats(session, _seat_lines(data))}
    if kind == "tax_id_replacement":
        outcome["enterprise"] = repository.carry_enterprise(session, source, str(data["old_tax_id"]), source,
                                                            str(data["new_tax_id"]))
    elif kind == "enterprise_move":
        tax_id = str(data["tax_id"])
        if repository.has_erp_instance(session, target):
            outcome["enterprise"] = repository.carry_enterprise(session, source, tax_id, target, tax_id)
        else:
            # The new tenant has no ERP instance to import the enterprise into: the old tenant's import
            # goes (its rights left with the enterprise); the audit keeps the licenses as they were.
            outcome["dropped_licenses"] = [_json(row) for row in repository.drop_enterprise(session, source, tax_id)]
    elif kind == "tenant_merge":
        outcome["licensed_seats_moved"] = repository.move_licensed_seats(session, source, target)
        outcome["erp_instance"] = repository.fold_erp_instance(session, source, target)
        outcome["enterprises"] = {tax_id: repository.carry_enterprise(session, source, tax_id, target, tax_id)
                                  for tax_id in repository.imported_enterprises(session, source)}
        if outcome["erp_instance"] is not None:
            repository.drop_erp_instance(session, source)
    else:
        log.warning("unknown change request kind ignored", extra={"fields": {"event_id": event.id, "kind": kind}})
        return
    uow.audit("rights.moved", "change_request", str(data["change_request_id"]), outcome)
