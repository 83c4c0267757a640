"""Human-readable order numbers: a kind prefix, the UTC date and a random part (unique in the table)."""

from __future__ import annotations

import secrets
from datetime import datetime

PREFIXES = {"renewal": "RN", "topup": "TU", "value_added": "VA"}


def new(kind: str, at: datetime) -> str:
    return f"{PREFIXES[kind]}{at:%Y%m%d}{secrets.token_hex(5).upper()}"
