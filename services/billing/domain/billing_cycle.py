"""Billing cycles of the account config: when the auto-renew run is due and how far it renews."""

from __future__ import annotations

from datetime import date

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
LANGUAGES = ("zh-CN", "en")


def next_cycle_start(cycle: str, after: date) -> date:
    """First day of the next period of `cycle` strictly after `after` (1st of month / quarter / year)."""
    months = CYCLE_MONTHS[cycle]
    index = after.year * 12 + after.month - 1
    start = (index // months + 1) * months
    return date(start // 12, start % 12 + 1, 1)
