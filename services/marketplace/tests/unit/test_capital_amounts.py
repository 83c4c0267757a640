"""Chinese capital amounts (大写金额) as printed on the e-contract."""
from __future__ import annotations

import pytest

from services.marketplace.domain.capital_amounts import capital_amount


@pytest.mark.parametrize(
    ("amount_minor", "expected"),
    [
        (10700, "壹佰零柒元整"),
        (100500, "壹仟零伍元整"),
        (1000000, "壹万元整"),
        (1005, "壹拾元零伍分"),
        (1050, "壹拾元伍角整"),
        (1055, "壹拾元伍角伍分"),
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角整"),
        (12, "壹角贰分"),
        (100, "壹元整"),
        (1000, "壹拾元整"),
        (11000, "壹佰壹拾元整"),
        (101000, "壹仟零壹拾元整"),
        (10000000, "壹拾万元整"),
        (100010000, "壹佰万零壹佰元整"),
        (1001000000, "壹仟零壹万元整"),
        (2000000100, "贰仟万零壹元整"),
        (10000000000, "壹亿元整"),
        (10000000100, "壹亿零壹元整"),
        (10100000000, "壹亿零壹佰万元整"),
        (12345678900, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
        (1234567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (4145, "肆拾壹元肆角伍分"),
    ],
)
def test_amounts_read_as_on_a_chinese_invoice(amount_minor: int, expected: str) -> None:
    assert capital_amount(amount_minor) == expected


def test_zero_yuan_with_cents_has_no_leading_zero() -> None:
    assert capital_amount(7) == "柒分"


def test_negative_amounts_are_marked() -> None:
    assert capital_amount(-10700) == "负壹佰零柒元整"
