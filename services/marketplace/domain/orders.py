"""The life of a reseller order: pending payment → processing → delivered → completed, or cancelled."""
from __future__ import annotations

PENDING_PAYMENT = "pending_payment"
PROCESSING = "processing"
DELIVERED = "delivered"
COMPLETED = "completed"
CANCELLED = "cancelled"

STATUSES = (PENDING_PAYMENT, PROCESSING, DELIVERED, COMPLETED, CANCELLED)
PAYMENT_METHODS = ("online", "offline", "credit")

_NEXT = {
    PENDING_PAYMENT: (PROCESSING, CANCELLED),
    PROCESSING: (DELIVERED,),
    DELIVERED: (COMPLETED,),
}

# Orders counted as sales (statements, hot solutions, rebate): paid and not reversed.
SOLD = (PROCESSING, DELIVERED, COMPLETED)


def can_move(current: str, target: str) -> bool:
    return target in _NEXT.get(current, ())


def milestone_label(status: str) -> str:
    return {
        PENDING_PAYMENT: "order placed",
        PROCESSING: "paid, being processed",
        DELIVERED: "delivered",
        COMPLETED: "completed",
        CANCELLED: "cancelled",
    }[status]
