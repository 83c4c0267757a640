"""The usage ledger as a file (导出): CSV (UTF-8 with BOM, streamed) or XLSX (openpyxl, write-only).

Cells a spreadsheet would run as a formula (text starting with = + - @, tab or carriage return — a
ledger `reference` is the caller's own text) are neutralised: CSV gets a leading apostrophe, XLSX
stores every text as a string cell, never a formula.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[Iterable[Any]], rows_per_chunk: int = 2000) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_safe_text(value) for value in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_bytes(header: list[str], rows: Iterable[Iterable[Any]], sheet_name: str = "usage") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)

    def cell(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        written = WriteOnlyCell(sheet, value="" if value is None else str(value))
        written.data_type = "s"  # text, never a formula
        return written

    sheet.append([cell(name) for name in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
