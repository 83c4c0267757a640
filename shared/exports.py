"""Cells of exported spreadsheets that a spreadsheet program must not run (CSV / formula injection).

A CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`, `@SUM(…)`), so a payer name,
reference or device label typed by one user could run in the spreadsheet of the finance clerk who
exports it. Following OWASP's advice (https://owasp.org/www-community/attacks/CSV_Injection), every
*string* cell that begins with one of those characters is written with a single quote in front
(`'=1+2`), which the programs show as text; the quote makes the change visible instead of silently
dropping characters. Numbers stay numbers: an amount or a count written as an `int`, `float` or
`Decimal` (a refund of -500 is the number -500) is not a string and is written as is, so totals still
add up in the spreadsheet. XLSX exports write strings as typed string cells (never formulas) instead.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value`, with a leading `'` when it is a string a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in row]
