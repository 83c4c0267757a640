"""Limits on failed logins: how many failures in which window lock a key (an account or an address)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int
    window: timedelta
    lock_for: timedelta

    def locks_after(self, failures_in_window: int) -> bool:
        return failures_in_window >= self.max_failures


ACCOUNT_RULE = ThrottleRule(max_failures=10, window=timedelta(minutes=1), lock_for=timedelta(minutes=5))
ADDRESS_RULE = ThrottleRule(max_failures=50, window=timedelta(minutes=1), lock_for=timedelta(minutes=5))


def account_key(username: str) -> str:
    return f"account:{username.strip().lower()}"[:300]


def address_key(address: str) -> str:
    return f"address:{address}"[:300]


def seconds_until(now: datetime, until: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))
