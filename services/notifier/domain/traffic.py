"""SMS traffic (ENT-7): each SMS the notifier sends for a tenant draws one use from the tenant's SMS pool
in entitlements, once per message (the message id is the Idempotency-Key, and the outcome is kept on
the message so retries and resends never ask again).

What happens when nothing can be drawn depends on the message:
- an *essential* SMS (a security code: without it a tenant admin could never change the password) is
  sent anyway and recorded as not billed, with the reason;
- any other SMS is not sent: the attempt fails with the reason and is retried like any failed send
  (so it goes out if the tenant tops up its pool in time), then is given up.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DrawOutcome(StrEnum):
    DRAWN = "drawn"
    REFUSED = "refused"  # entitlements said no: no pool, not enough left, unknown product
    UNAVAILABLE = "unavailable"  # no answer: unreachable, timed out, 5xx, credentials refused
    NOT_CONFIGURED = "not_configured"  # this notifier has no service account


@dataclass(frozen=True)
class DrawAnswer:
    outcome: DrawOutcome
    reason: str | None = None
    remaining: int | None = None


class Traffic(StrEnum):
    """What is recorded on an SMS message of a tenant."""

    BILLED = "billed"
    NOT_BILLED = "not_billed"


@dataclass(frozen=True)
class SmsBilling:
    """The decision for one SMS: send it now or not, and what to record (`traffic` None: nothing yet)."""

    send: bool
    traffic: Traffic | None
    note: str | None = None


def bill_sms(answer: DrawAnswer, essential: bool) -> SmsBilling:
    if answer.outcome is DrawOutcome.DRAWN:
        return SmsBilling(True, Traffic.BILLED)
    if answer.outcome is DrawOutcome.NOT_CONFIGURED:
        return SmsBilling(True, Traffic.NOT_BILLED, "traffic_not_configured")
    if essential:
        return SmsBilling(True, Traffic.NOT_BILLED, answer.reason)
    return SmsBilling(False, None, answer.reason)
