"""Prices, currencies and payment methods: which method pays in which currency, what a renewal costs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from services.billing.domain.errors import RuleViolation

CURRENCIES = ("CNY", "USD")
PRICING_METHODS = ("per_month", "per_year", "one_off")
PRESET_MONTHS = (6, 12, 24)
MAX_RENEWAL_MONTHS = 120

BALANCE = "balance"
ONLINE_METHODS: dict[str, str] = {"wechat": "CNY", "alipay": "CNY", "paypal": "USD"}
PAYMENT_METHODS = (BALANCE, *ONLINE_METHODS)


def renewal_price(price_minor: int, pricing: str, months: int) -> int:
    """What `months` of a package cost: per month × months, or per year × months/12 rounded half up."""
    if not 1 <= months <= MAX_RENEWAL_MONTHS:
        raise RuleViolation("invalid_months", f"months must be 1..{MAX_RENEWAL_MONTHS}")
    if pricing == "per_month":
        return price_minor * months
    if pricing == "per_year":
        return int((Decimal(price_minor) * months / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    raise RuleViolation("package_not_renewable", "a one-off package cannot be renewed")


def require_method_for_currency(method: str, currency: str) -> None:
    """WeChat Pay and Alipay take CNY, PayPal takes USD; the balance pays in any currency it holds."""
    if method == BALANCE:
        return
    expected = ONLINE_METHODS.get(method)
    if expected is None:
        raise RuleViolation("unknown_payment_method", f"{method} is not a payment method")
    if expected != currency:
        raise RuleViolation("method_not_available_for_currency", f"{method} pays in {expected} only, this order is in {currency}")
