"""Spreadsheets in and out: the expiry template and its reader (openpyxl read-only mode), and CSV
exports that stream rows instead of building the whole result in memory (XLSX: `xlsx_stream`)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from services.billing.domain.expiry_import import TEMPLATE_HEADER, ExpiryRow, RejectedRow, parse_row
from shared.exports import neutralise_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableSheet(ValueError):
    """The upload is not an XLSX workbook in the template's shape."""


def expiry_template() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("expiry")
    sheet.append(list(TEMPLATE_HEADER))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check_expiry_sheet(content: bytes) -> None:
    """Cheap check at upload time: an XLSX whose first row is the template's header."""
    header = next(_sheet_rows(content), None)
    if header is None or tuple(str(c or "").strip().lower() for c in header[:2]) != TEMPLATE_HEADER:
        raise UnreadableSheet(f"the first row must be the template header {', '.join(TEMPLATE_HEADER)}")


def read_expiry_rows(content: bytes) -> list[ExpiryRow | RejectedRow]:
    """Every data row (sheet row numbers, header is row 1), parsed or rejected; blank rows skipped."""
    rows = _sheet_rows(content)
    next(rows, None)
    parsed: list[ExpiryRow | RejectedRow] = []
    for number, cells in enumerate(rows, start=2):
        device_cell = cells[0] if cells else None
        date_cell = cells[1] if len(cells) > 1 else None
        if device_cell is None and date_cell is None:
            continue
        parsed.append(parse_row(number, device_cell, date_cell))
    return parsed


def _sheet_rows(content: bytes) -> Iterator[tuple[Any, ...]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableSheet("the file is not an XLSX workbook") from exc
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def csv_chunks(header: list[str], rows: Iterable[Iterable[Any]], rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """CSV (UTF-8 with BOM, so spreadsheet programs read Chinese names) in chunks of rows; a string cell a
    spreadsheet would run as a formula is written with a leading `'` (`shared.exports`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(neutralise_row(header))
    for count, row in enumerate(rows, start=1):
        writer.writerow(neutralise_row(row))
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
