"""CSV / formula injection: string cells that a spreadsheet would run get a leading quote; numbers do not."""
from __future__ import annotations

from decimal import Decimal

from shared.exports import neutralise, neutralise_row


def test_strings_a_spreadsheet_takes_for_formulas_are_quoted():
    for text in ("=1+2", "+41", "-A1", "@SUM(A1:A2)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"):
        assert neutralise(text) == "'" + text


def test_other_strings_and_every_number_are_left_alone():
    for value in ("云备份", "", "A=1", " =1", "'=1", "1-2", None, True):
        assert neutralise(value) == value
    assert neutralise_row([-500, 12.5, Decimal("-1.20"), 0, "-5"]) == [-500, 12.5, Decimal("-1.20"), 0, "'-5"]
