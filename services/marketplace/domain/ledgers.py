"""The rebate balance (可抵扣优惠金额) and the credit line (账期余额) as pure rules.

The database enforces the same rules with guarded updates (see the service layer); these classes are
the specification the stateful tests check the stored ledgers against.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class LedgerRefused(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class RebateBalance:
    balance_minor: int = 0
    entries: list[int] = field(default_factory=list)

    def credit(self, amount_minor: int) -> None:
        _positive(amount_minor)
        self.balance_minor += amount_minor
        self.entries.append(amount_minor)

    def spend(self, amount_minor: int) -> None:
        _positive(amount_minor)
        if amount_minor > self.balance_minor:
            raise LedgerRefused("insufficient_rebate_balance", "the rebate amount exceeds the rebate balance")
        self.balance_minor -= amount_minor
        self.entries.append(-amount_minor)


@dataclass
class CreditLine:
    limit_minor: int
    owed_minor: int = 0

    @property
    def available_minor(self) -> int:
        return self.limit_minor - self.owed_minor

    def draw(self, amount_minor: int) -> None:
        _positive(amount_minor)
        if amount_minor > self.available_minor:
            raise LedgerRefused("credit_limit_exceeded", "the amount exceeds the available credit")
        self.owed_minor += amount_minor

    def repay(self, amount_minor: int) -> None:
        _positive(amount_minor)
        if amount_minor > self.owed_minor:
            raise LedgerRefused("repayment_exceeds_owed", "the repayment exceeds what is owed")
        self.owed_minor -= amount_minor

    def change_limit(self, limit_minor: int) -> None:
        if limit_minor < self.owed_minor:
            raise LedgerRefused("limit_below_owed", "the limit cannot be set below what is owed")
        self.limit_minor = limit_minor


def _positive(amount_minor: int) -> None:
    if amount_minor <= 0:
        raise LedgerRefused("invalid_amount", "amounts must be positive")
