"""Order totals are the server's: subtotal, coupon, rebate, tax included in prices."""
from __future__ import annotations

import pytest

from services.marketplace.domain.pricing import PricedLine, PricingRefused, totals


def line(price: int = 10700, quantity: int = 1, currency: str = "CNY", tax_bp: int = 600) -> PricedLine:
    return PricedLine("sku", "solution", price, currency, quantity, tax_bp)


def test_subtotal_coupon_and_rebate_make_the_total() -> None:
    figures = totals([line(10700, 2), line(5000, 1)], coupon_minor=1000, rebate_minor=400)
    assert (figures.subtotal_minor, figures.coupon_minor, figures.rebate_minor, figures.total_minor) == (26400, 1000, 400, 25000)


def test_a_coupon_larger_than_the_order_only_zeroes_it() -> None:
    figures = totals([line(500)], coupon_minor=1000, rebate_minor=0)
    assert figures.coupon_minor == 500 and figures.total_minor == 0


def test_rebate_may_not_exceed_what_is_left_after_the_coupon() -> None:
    with pytest.raises(PricingRefused) as refused:
        totals([line(1000)], coupon_minor=600, rebate_minor=401)
    assert refused.value.code == "rebate_exceeds_total"


def test_tax_is_included_in_prices_and_follows_discounts() -> None:
    assert totals([line(10600, tax_bp=600)], 0, 0).tax_minor == 600
    assert totals([line(10600, tax_bp=600)], 5300, 0).tax_minor == 300


def test_one_order_is_in_one_currency() -> None:
    with pytest.raises(PricingRefused) as refused:
        totals([line(currency="CNY"), line(currency="USD")], 0, 0)
    assert refused.value.code == "mixed_currencies"


def test_a_subtotal_beyond_what_is_stored_is_refused() -> None:
    with pytest.raises(PricingRefused) as refused:
        totals([line(300_000, 10_000)], 0, 0)
    assert refused.value.code == "order_too_large"
    assert totals([line(2**31 - 1, 1)], 0, 0).subtotal_minor == 2**31 - 1
