"""Device expiry rules: when a device counts as expiring or expired, and how a renewal extends it."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

EXPIRING_WITHIN_DAYS = 30
REMINDER_STAGES = (30, 7, 1)

ACTIVE = "active"
DEACTIVATED = "deactivated"
VIEWS = ("active", "expiring", "expired", "deactivated")


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def extended_expiry(expires_on: date, months: int, today: date) -> date:
    """A renewal runs from the current expiry, or from today when the device has already expired."""
    return add_months(max(expires_on, today), months)


def expiry_state(expires_on: date, today: date) -> str:
    """`expired` before today, `expiring` within EXPIRING_WITHIN_DAYS days from today, else `ok`."""
    if expires_on < today:
        return "expired"
    if expires_on <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
        return "expiring"
    return "ok"


def reminder_stage(expires_on: date, today: date) -> int | None:
    """The smallest reminder stage (days before expiry) the device has reached, or None outside them."""
    days_left = (expires_on - today).days
    if days_left < 0:
        return None
    reached = [stage for stage in REMINDER_STAGES if days_left <= stage]
    return min(reached) if reached else None
