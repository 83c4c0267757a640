"""Amounts in Chinese financial capitals (大写金额) as printed on contracts, e.g. 壹佰零柒元整.

The rules: digits 零壹贰叁肆伍陆柒捌玖 with units 拾佰仟 inside each four-digit group and 万/亿 between
groups; runs of zeros inside the yuan part read as one 零, and never at the end of a group; 元 closes
the yuan part; 角 and 分 follow, and "整" ends an amount with no 分 (壹拾元零伍分 keeps a 零 for the
missing 角 after non-zero yuan).
"""
from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")


def _group_text(group: int) -> str:
    """A number 1..9999 without leading-zero handling (the caller adds a 零 between groups)."""
    text, pending_zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += DIGITS[0]
            pending_zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _yuan_text(yuan: int) -> str:
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    if len(groups) > len(GROUP_UNITS):
        raise ValueError("amount too large for capital notation")
    text, zero_needed = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_needed = bool(text)
            continue
        if text and (zero_needed or group < 1000):
            text += DIGITS[0]
        text += _group_text(group) + GROUP_UNITS[index]
        zero_needed = False
    return text


def capital_amount(amount_minor: int) -> str:
    """`amount_minor` fen (1/100 yuan) as a capital amount: 10700 → 壹佰零柒元整, 1005 → 壹拾元零伍分."""
    if amount_minor < 0:
        return "负" + capital_amount(-amount_minor)
    yuan, jiao, fen = amount_minor // 100, amount_minor // 10 % 10, amount_minor % 10
    if yuan == 0 and jiao == 0 and fen == 0:
        return "零元整"
    text = _yuan_text(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and yuan:
        text += DIGITS[0]
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return text
