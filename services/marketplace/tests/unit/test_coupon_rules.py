"""Coupon rules: validity, currency, applicable solutions and region, minimum amount and quantity."""
from __future__ import annotations

from datetime import date

from services.marketplace.domain.coupons import BasketLine, CouponTerms, coupon_state, discount, refusal

TODAY = date(2026, 3, 1)


def terms(**overrides: object) -> CouponTerms:
    values: dict = {"amount_minor": 1000, "currency": "CNY", "min_amount_minor": 0, "min_quantity": 0, "solution_ids": (),
                    "region": None, "valid_from": None, "valid_to": None}
    values.update(overrides)
    return CouponTerms(**values)


def line(solution: str = "s1", region: str = "中国大陆", quantity: int = 1, amount: int = 5000) -> BasketLine:
    return BasketLine(solution, region, quantity, amount)


def test_an_open_coupon_applies_to_any_basket() -> None:
    assert refusal(terms(), [line()], "CNY", TODAY) is None


def test_validity_window_is_inclusive() -> None:
    assert refusal(terms(valid_from=TODAY, valid_to=TODAY), [line()], "CNY", TODAY) is None
    assert refusal(terms(valid_from=date(2026, 3, 2)), [line()], "CNY", TODAY) == "coupon_not_yet_valid"
    assert refusal(terms(valid_to=date(2026, 2, 28)), [line()], "CNY", TODAY) == "coupon_expired"


def test_currency_must_match() -> None:
    assert refusal(terms(), [line()], "USD", TODAY) == "coupon_currency_mismatch"


def test_only_listed_solutions_and_region_count() -> None:
    assert refusal(terms(solution_ids=("s2",)), [line("s1")], "CNY", TODAY) == "coupon_not_applicable"
    assert refusal(terms(region="香港"), [line(region="中国大陆")], "CNY", TODAY) == "coupon_not_applicable"
    assert refusal(terms(solution_ids=("s1",), region="中国大陆"), [line("s1"), line("s2")], "CNY", TODAY) is None


def test_minimum_amount_and_quantity_count_eligible_lines_only() -> None:
    basket = [line("s1", amount=3000, quantity=1), line("s2", amount=9000, quantity=5)]
    assert refusal(terms(solution_ids=("s1",), min_amount_minor=5000), basket, "CNY", TODAY) == "coupon_minimum_amount_not_met"
    assert refusal(terms(solution_ids=("s1",), min_quantity=2), basket, "CNY", TODAY) == "coupon_minimum_quantity_not_met"
    assert refusal(terms(min_amount_minor=12000, min_quantity=6), basket, "CNY", TODAY) is None


def test_discount_never_exceeds_the_eligible_amount() -> None:
    assert discount(terms(amount_minor=1000), [line(amount=5000)]) == 1000
    assert discount(terms(amount_minor=9000, solution_ids=("s1",)), [line("s1", amount=5000), line("s2", amount=7000)]) == 5000


def test_states_unused_used_expired() -> None:
    assert coupon_state(False, terms(), TODAY) == "unused"
    assert coupon_state(True, terms(valid_to=date(2026, 1, 1)), TODAY) == "used"
    assert coupon_state(False, terms(valid_to=date(2026, 1, 1)), TODAY) == "expired"
