"""Expiry reminders (ENT-9): which reminder a line is due for on a given day."""
from __future__ import annotations

from datetime import date

REMINDER_DAYS = (30, 7, 1)
EXPIRED = "expired"
# Lines that expired longer ago than this are history, not news: no reminder on a first run.
EXPIRED_NOTICE_WINDOW_DAYS = 30


def days_left(valid_to: date, today: date) -> int:
    """Days until the last valid day; 0 on that day, negative once expired."""
    return (valid_to - today).days


def due_reminder(valid_to: date, today: date) -> str | None:
    """The threshold a line is in today: "30", "7", "1" or "expired"; None when nothing is due.

    A line is in the smallest threshold not below its days left (its last day counts as 1), so a job
    that missed days sends only the reminder that is current, once.
    """
    left = days_left(valid_to, today)
    if left < 0:
        return EXPIRED if -left <= EXPIRED_NOTICE_WINDOW_DAYS else None
    for threshold in sorted(REMINDER_DAYS):
        if left <= threshold:
            return str(threshold)
    return None
