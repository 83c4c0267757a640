"""Traffic pools (ENT-7): one pool per tenant and product, the sum of its valid lines, drawn earliest-expiry first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class InsufficientQuota(Exception):
    """The pool holds fewer units than asked; nothing may be deducted."""

    def __init__(self, requested: int, available: int) -> None:
        super().__init__(f"{requested} units requested, {available} left")
        self.requested = requested
        self.available = available


@dataclass(frozen=True)
class PoolLine:
    """One valid traffic line of a pool, as read for a deduction."""

    line_id: str
    remaining: int
    valid_to: date


@dataclass(frozen=True)
class Draw:
    line_id: str
    units: int


def drawing_order(lines: list[PoolLine]) -> list[PoolLine]:
    """Earliest expiry first; ties by line id so every process locks lines in the same order."""
    return sorted(lines, key=lambda line: (line.valid_to, line.line_id))


def plan_draws(lines: list[PoolLine], units: int) -> list[Draw]:
    """Which lines give how many units for a use of `units`; InsufficientQuota when the pool is short."""
    available = sum(line.remaining for line in lines)
    if units > available:
        raise InsufficientQuota(units, available)
    draws: list[Draw] = []
    needed = units
    for line in drawing_order(lines):
        if needed == 0:
            break
        take = min(line.remaining, needed)
        if take > 0:
            draws.append(Draw(line.line_id, take))
            needed -= take
    return draws


def units_for(uses: int, units_per_use: int) -> int:
    """The deduction rule: each use costs the product's units per use (1 unless the product says otherwise)."""
    return uses * units_per_use
