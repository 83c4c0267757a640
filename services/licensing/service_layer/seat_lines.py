"""Seat lines as entitlements' events carry them, read into `licensed_seats` rows (the AA of A/AA)."""
from __future__ import annotations

from datetime import date
from typing import Any

from services.licensing.domain.model import ServiceGroup

GROUPS = frozenset(group.value for group in ServiceGroup)


def event_date(value: Any) -> date | None:
    """A date of an event's data (an ISO date, or the date part of a timestamp), None when absent."""
    return date.fromisoformat(str(value)[:10]) if value else None


def licensed_seat(order_line_id: Any, line: dict[str, Any]) -> dict[str, Any]:
    """The `licensed_seats` columns of one seat line (without its tenant)."""
    return {
        "order_line_id": str(order_line_id),
        "service_group": line["service_group"],
        "quantity": int(line["quantity"]),
        "valid_from": event_date(line.get("valid_from")),
        "valid_to": event_date(line.get("valid_to")),
        "serial_number": line.get("serial_number"),
    }
