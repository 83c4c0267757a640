"""Refunds through the payment provider: the interface, and the sandbox provider's side of it.

A provider refunds a payment it took (by our payment id, which it knows as the merchant's reference,
and its own `provider_ref`) and answers the reference of the refund. Providers treat a repeated refund
request for one payment as the same refund, so a retried request never pays out twice.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RefundRequest:
    payment_id: str
    provider_ref: str | None
    amount_minor: int
    currency: str
    reason: str


class RefundProvider(Protocol):
    def refund(self, request: RefundRequest) -> str:
        """Refunds the payment in full; returns the provider's refund reference (raises when refused)."""
        ...


class SandboxRefunds:
    """The sandbox takes back what it took: every refund of a sandbox payment succeeds at once."""

    def __init__(self) -> None:
        self._done: dict[str, str] = {}

    def refund(self, request: RefundRequest) -> str:
        return self._done.setdefault(request.payment_id, "SBXR" + secrets.token_hex(8).upper())
