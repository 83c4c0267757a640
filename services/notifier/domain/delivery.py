"""The life of a message: queued → sent, or retried with growing pauses until it is given up as failed."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


# Pause after the 1st, 2nd, … failed attempt; the attempt after the last pause is the final one.
RETRY_PAUSES = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
)
MAX_ATTEMPTS = len(RETRY_PAUSES) + 1

# How long a claimed message stays invisible to other senders while one of them is sending it.
SENDING_LEASE = timedelta(minutes=2)


def next_attempt_after_failure(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None when the message is given up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_PAUSES[attempts - 1]
