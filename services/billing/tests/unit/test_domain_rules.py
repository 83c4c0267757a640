"""Pure business rules: prices, expiry arithmetic, views, reminder stages, cycles, sheet rows, top-up states."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain import devices, money, offline_topups
from services.billing.domain.billing_cycle import next_cycle_start
from services.billing.domain.errors import RuleViolation, StateConflict
from services.billing.domain.expiry_import import ExpiryRow, RejectedRow, parse_row


def test_per_month_packages_cost_price_times_months():
    assert money.renewal_price(1000, "per_month", 6) == 6000


def test_per_year_packages_cost_a_twelfth_per_month_rounded_half_up():
    assert money.renewal_price(12000, "per_year", 6) == 6000
    assert money.renewal_price(1000, "per_year", 1) == 83  # 83.33
    assert money.renewal_price(1006, "per_year", 6) == 503
    assert money.renewal_price(1001, "per_year", 6) == 501  # 500.5 rounds up


def test_one_off_packages_cannot_be_renewed():
    with pytest.raises(RuleViolation) as error:
        money.renewal_price(9900, "one_off", 12)
    assert error.value.code == "package_not_renewable"


@pytest.mark.parametrize("months", [0, 121, -6])
def test_months_outside_1_to_120_are_refused(months):
    with pytest.raises(RuleViolation):
        money.renewal_price(1000, "per_month", months)


@given(price=st.integers(0, 10**9), months=st.integers(1, 120))
def test_a_yearly_price_for_whole_years_is_exact_and_never_exceeds_rounding(price, months):
    amount = money.renewal_price(price, "per_year", months)
    assert abs(amount * 12 - price * months) <= 6
    if months % 12 == 0:
        assert amount == price * months // 12


def test_wallet_methods_pay_only_in_their_currency():
    money.require_method_for_currency("wechat", "CNY")
    money.require_method_for_currency("paypal", "USD")
    money.require_method_for_currency("balance", "USD")
    for method, currency in (("wechat", "USD"), ("alipay", "USD"), ("paypal", "CNY")):
        with pytest.raises(RuleViolation) as error:
            money.require_method_for_currency(method, currency)
        assert error.value.code == "method_not_available_for_currency"


def test_adding_months_clamps_to_the_end_of_shorter_months():
    assert devices.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert devices.add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert devices.add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_an_expired_device_is_renewed_from_today_a_running_one_from_its_expiry():
    today = date(2026, 6, 1)
    assert devices.extended_expiry(date(2026, 1, 10), 6, today) == date(2026, 12, 1)
    assert devices.extended_expiry(date(2026, 7, 10), 6, today) == date(2027, 1, 10)


def test_expiry_states_expired_expiring_within_30_days_and_ok():
    today = date(2026, 1, 1)
    assert devices.expiry_state(date(2025, 12, 31), today) == "expired"
    assert devices.expiry_state(date(2026, 1, 1), today) == "expiring"
    assert devices.expiry_state(date(2026, 1, 31), today) == "expiring"
    assert devices.expiry_state(date(2026, 2, 1), today) == "ok"


def test_reminder_stage_is_the_smallest_stage_reached():
    today = date(2026, 1, 1)
    assert devices.reminder_stage(date(2026, 3, 1), today) is None
    assert devices.reminder_stage(date(2026, 1, 31), today) == 30
    assert devices.reminder_stage(date(2026, 1, 8), today) == 7
    assert devices.reminder_stage(date(2026, 1, 2), today) == 1
    assert devices.reminder_stage(date(2025, 12, 31), today) is None


def test_cycle_starts_are_month_quarter_and_year_starts():
    assert next_cycle_start("monthly", date(2026, 1, 1)) == date(2026, 2, 1)
    assert next_cycle_start("monthly", date(2026, 12, 15)) == date(2027, 1, 1)
    assert next_cycle_start("quarterly", date(2026, 2, 10)) == date(2026, 4, 1)
    assert next_cycle_start("quarterly", date(2026, 12, 31)) == date(2027, 1, 1)
    assert next_cycle_start("yearly", date(2026, 1, 1)) == date(2027, 1, 1)


def test_sheet_rows_take_date_cells_or_iso_text_and_reject_the_rest():
    assert parse_row(2, "D1", "2027-01-31") == ExpiryRow(2, "D1", date(2027, 1, 31))
    assert parse_row(3, " D2 ", date(2027, 2, 1)) == ExpiryRow(3, "D2", date(2027, 2, 1))
    bad = parse_row(4, "D3", "31/01/2027")
    assert isinstance(bad, RejectedRow) and bad.code == "bad_date"
    assert parse_row(5, None, "2027-01-01").code == "bad_device_id"
    assert parse_row(6, "D4", "1900-01-01").code == "bad_date"


def test_offline_topups_are_editable_until_submitted_and_rejections_need_a_comment():
    offline_topups.require_editable("draft")
    offline_topups.require_editable("returned")
    for frozen in ("submitted", "approved", "declined"):
        with pytest.raises(StateConflict):
            offline_topups.require_editable(frozen)
    offline_topups.require_reviewed_version(3, 3)
    with pytest.raises(StateConflict) as mismatch:
        offline_topups.require_reviewed_version(3, 2)
    assert mismatch.value.code == "topup_version_mismatch"
    with pytest.raises(StateConflict):
        offline_topups.require_submittable("submitted")
    assert offline_topups.status_after_review("approve", None) == "approved"
    with pytest.raises(RuleViolation) as error:
        offline_topups.status_after_review("decline", "  ")
    assert error.value.code == "comment_required"
