"""Rows of an expiry import: a device id and a new expiry date, or the reason the row is rejected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

TEMPLATE_HEADER = ("device_id", "expires_on")
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class ExpiryRow:
    row: int
    device_id: str
    expires_on: date


@dataclass(frozen=True)
class RejectedRow:
    row: int
    device_id: str | None
    code: str
    detail: str


def parse_row(row: int, device_cell: object, date_cell: object) -> ExpiryRow | RejectedRow:
    """Read one sheet row: text device id (≤64 chars) and a date cell or `YYYY-MM-DD` text."""
    device_id = str(device_cell).strip() if device_cell is not None else ""
    if not device_id or len(device_id) > 64:
        return RejectedRow(row, device_id[:200] or None, "bad_device_id", "device id missing or longer than 64 characters")
    expires_on = _as_date(date_cell)
    if expires_on is None or not EARLIEST <= expires_on <= LATEST:
        return RejectedRow(row, device_id, "bad_date", f"not a date: {str(date_cell)[:40]!r}; use YYYY-MM-DD")
    return ExpiryRow(row, device_id, expires_on)


def _as_date(cell: object) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        try:
            return date.fromisoformat(cell.strip())
        except ValueError:
            return None
    return None
