"""Time, as one object the tests can move.

Production code asks `clock.now()` / `clock.today()`. Tests pass a `FrozenClock`. End-to-end tests,
which drive processes, may set `SUITE_CLOCK_FILE`: the file holds an offset in seconds added to the
real time (only honoured when that variable is set, so production never reads it).
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


class Clock:
    def now(self) -> datetime:
        offset = 0.0
        path = os.environ.get("SUITE_CLOCK_FILE")
        if path and Path(path).exists():
            try:
                offset = float(Path(path).read_text().strip() or 0)
            except ValueError:
                offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)

    def today(self) -> date:
        return self.now().date()


class FrozenClock(Clock):
    def __init__(self, at: datetime | None = None) -> None:
        self._at = at or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)

    def set(self, at: datetime) -> None:
        self._at = at


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
