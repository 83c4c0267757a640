"""Calendar periods used by the jobs: statement months, credit bill months, rebate half-years."""
from __future__ import annotations

from datetime import date, timedelta


def month_bounds(period: str) -> tuple[date, date]:
    """'2026-03' → (2026-03-01, 2026-03-31)."""
    year, month = (int(part) for part in period.split("-"))
    first = date(year, month, 1)
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return first, next_first - timedelta(days=1)


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def previous_half_year(today: date) -> str:
    """The last completed half-year: '2025-H2' on 2026-01-01 .. 2026-06-30."""
    if today.month <= 6:
        return f"{today.year - 1}-H2"
    return f"{today.year}-H1"


def half_year_bounds(period: str) -> tuple[date, date]:
    year, half = int(period[:4]), period[-1]
    if half == "1":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


HALF_YEAR = r"^2[0-9]{3}-H[12]$"


def month_ended(period: str, today: date) -> bool:
    """True once the whole month lies before `today` (a statement or bill of a running month would freeze it early)."""
    return month_bounds(period)[1] < today


def half_year_ended(period: str, today: date) -> bool:
    return half_year_bounds(period)[1] < today
