"""Coupon rules (优惠券): who may use a coupon on which basket, and what it takes off."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CouponTerms:
    amount_minor: int
    currency: str
    min_amount_minor: int
    min_quantity: int
    solution_ids: tuple[str, ...]
    region: str | None
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class BasketLine:
    solution_id: str
    region: str
    quantity: int
    amount_minor: int


def coupon_state(used: bool, terms: CouponTerms, today: date) -> str:
    """unused / used / expired as the reseller sees them."""
    if used:
        return "used"
    if terms.valid_to is not None and today > terms.valid_to:
        return "expired"
    return "unused"


def refusal(terms: CouponTerms, lines: list[BasketLine], currency: str, today: date) -> str | None:
    """Why the coupon cannot be used on this basket (a problem code), or None when it can."""
    if terms.valid_from is not None and today < terms.valid_from:
        return "coupon_not_yet_valid"
    if terms.valid_to is not None and today > terms.valid_to:
        return "coupon_expired"
    if currency != terms.currency:
        return "coupon_currency_mismatch"
    eligible = [line for line in lines if _applies(terms, line)]
    if not eligible:
        return "coupon_not_applicable"
    if sum(line.amount_minor for line in eligible) < terms.min_amount_minor:
        return "coupon_minimum_amount_not_met"
    if sum(line.quantity for line in eligible) < terms.min_quantity:
        return "coupon_minimum_quantity_not_met"
    return None


def discount(terms: CouponTerms, lines: list[BasketLine]) -> int:
    """What the coupon takes off: its amount, never more than the eligible lines cost."""
    eligible_amount = sum(line.amount_minor for line in lines if _applies(terms, line))
    return min(terms.amount_minor, eligible_amount)


def _applies(terms: CouponTerms, line: BasketLine) -> bool:
    if terms.solution_ids and line.solution_id not in terms.solution_ids:
        return False
    return terms.region is None or terms.region == line.region
