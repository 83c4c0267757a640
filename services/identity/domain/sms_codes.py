"""SMS verification codes: six digits, five minutes, single use, and how often one may be asked for."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from services.identity.domain.throttling import seconds_until

PURPOSES = ("password_change",)
LIFETIME = timedelta(minutes=5)
MIN_INTERVAL = timedelta(seconds=60)
HOURLY_LIMIT = 5
MAX_WRONG_ATTEMPTS = 5


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def retry_after(now: datetime, requested_in_last_hour: Sequence[datetime]) -> int | None:
    """Seconds until another code may be requested, or None when one may be requested now."""
    if not requested_in_last_hour:
        return None
    latest = max(requested_in_last_hour)
    if now - latest < MIN_INTERVAL:
        return seconds_until(now, latest + MIN_INTERVAL)
    if len(requested_in_last_hour) >= HOURLY_LIMIT:
        return seconds_until(now, min(requested_in_last_hour) + timedelta(hours=1))
    return None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)
