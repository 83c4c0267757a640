"""Order totals, computed by the server only: lines, coupon discount, rebate, amount due, tax."""
from __future__ import annotations

from dataclasses import dataclass

MAX_LINE_QUANTITY = 10000
# Amounts are stored as 32-bit integers: every amount, and an order's subtotal, stays at or below this.
MAX_AMOUNT_MINOR = 2**31 - 1


class PricingRefused(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PricedLine:
    sku_id: str
    solution_id: str
    unit_price_minor: int
    currency: str
    quantity: int
    tax_rate_bp: int

    @property
    def amount_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def tax_minor(self) -> int:
        """Tax included in the line amount (prices are tax-inclusive), rounded half up."""
        return (self.amount_minor * self.tax_rate_bp * 2 + (10000 + self.tax_rate_bp)) // (2 * (10000 + self.tax_rate_bp))


@dataclass(frozen=True)
class Totals:
    currency: str
    subtotal_minor: int
    coupon_minor: int
    rebate_minor: int
    total_minor: int
    tax_minor: int


def order_currency(lines: list[PricedLine]) -> str:
    currencies = {line.currency for line in lines}
    if not lines:
        raise PricingRefused("empty_order", "an order needs at least one line")
    if len(currencies) > 1:
        raise PricingRefused("mixed_currencies", "all lines of one order must be in one currency")
    return currencies.pop()


def totals(lines: list[PricedLine], coupon_minor: int, rebate_minor: int) -> Totals:
    """Subtotal minus the coupon, then minus the rebate; the rebate may not exceed what is left."""
    currency = order_currency(lines)
    subtotal = sum(line.amount_minor for line in lines)
    if subtotal > MAX_AMOUNT_MINOR:
        raise PricingRefused("order_too_large", f"an order's subtotal may not exceed {MAX_AMOUNT_MINOR} minor units")
    coupon = min(coupon_minor, subtotal)
    if rebate_minor < 0:
        raise PricingRefused("invalid_rebate", "the rebate amount cannot be negative")
    if rebate_minor > subtotal - coupon:
        raise PricingRefused("rebate_exceeds_total", "the rebate cannot exceed the amount left after the coupon")
    total = subtotal - coupon - rebate_minor
    tax = sum(line.tax_minor for line in lines)
    tax_due = tax * total // subtotal if subtotal else 0
    return Totals(currency, subtotal, coupon, rebate_minor, total, tax_due)
