"""Pure rules: masking other tenants' names, drawing a traffic pool, reminder thresholds, the seat saga's serial rule."""
from __future__ import annotations

from datetime import date

import pytest

from services.entitlements.domain.expiry import due_reminder
from services.entitlements.domain.masking import mask_tenant_name
from services.entitlements.domain.seats import needs_serial_number
from services.entitlements.domain.traffic import Draw, InsufficientQuota, PoolLine, plan_draws, units_for


@pytest.mark.parametrize("name,masked", [
    ("苏州工业园区示例科技有限公司", "苏州XXXX有限公司"),
    ("上海示例股份有限公司", "上海XXXX股份有限公司"),
    ("北京示例有限责任公司", "北京XXXX有限责任公司"),
    ("杭州某某工作室", "杭州XXXX"),
    ("Acme Trading Co., Ltd.", "AcXXXXCo., Ltd."),
    ("", "XXXX"),
    (None, "XXXX"),
])
def test_other_tenants_name_is_masked_between_city_and_legal_form(name, masked):
    assert mask_tenant_name(name) == masked


def test_masked_name_does_not_reveal_the_length():
    assert mask_tenant_name("苏州甲有限公司") == mask_tenant_name("苏州甲乙丙丁戊己庚有限公司")


LINES = [
    PoolLine("c", 100, date(2026, 12, 31)),
    PoolLine("a", 5, date(2026, 3, 31)),
    PoolLine("b", 10, date(2026, 3, 31)),
]


def test_pool_is_drawn_earliest_expiry_first_ties_by_line():
    assert plan_draws(LINES, 3) == [Draw("a", 3)]
    assert plan_draws(LINES, 20) == [Draw("a", 5), Draw("b", 10), Draw("c", 5)]


def test_pool_too_small_deducts_nothing():
    with pytest.raises(InsufficientQuota) as short:
        plan_draws(LINES, 116)
    assert (short.value.requested, short.value.available) == (116, 115)


def test_whole_pool_can_be_used():
    assert sum(d.units for d in plan_draws(LINES, 115)) == 115


def test_deduction_rule_multiplies_uses():
    assert units_for(3, 1) == 3
    assert units_for(3, 2) == 6


@pytest.mark.parametrize("valid_to,due", [
    (date(2026, 3, 1), None),
    (date(2026, 1, 31), "30"),
    (date(2026, 1, 9), "30"),
    (date(2026, 1, 8), "7"),
    (date(2026, 1, 7), "7"),
    (date(2026, 1, 2), "1"),
    (date(2026, 1, 1), "1"),
    (date(2025, 12, 31), "expired"),
    (date(2025, 11, 1), None),
])
def test_reminder_due_on_1_january(valid_to, due):
    assert due_reminder(valid_to, date(2026, 1, 1)) == due


@pytest.mark.parametrize("license_type,idc,needed", [
    ("formal", False, False), ("formal", True, True), ("temporary", False, True), ("none", None, True),
])
def test_serial_number_needed_per_license_type(license_type, idc, needed):
    assert needs_serial_number(license_type, idc) is needed
