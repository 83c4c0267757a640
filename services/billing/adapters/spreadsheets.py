"""Spreadsheets in and out: the expiry template and its reader (openpyxl read-only mode), and CSV
exports that stream rows instead of building the whole result in memory (XLSX: `xlsx_stream`).

An uploaded workbook is a zip archive of XML parts, and what it expands to is the uploader's choice:
shared strings that inflate to 1 GB grew the API and the worker by 2 GB each (openpyxl keeps the
shared-string table whole, even read-only). So before openpyxl opens it, `check_expiry_sheet` reads
the archive's directory and refuses (422) a workbook whose parts would expand past
`MAX_UNCOMPRESSED_BYTES` (shared strings past `MAX_SHARED_STRINGS_BYTES`) or any part compressed
more than `MAX_COMPRESSION_RATIO` to 1 (`sheet_too_large`), and counts the first sheet's rows in its
XML (a stream, no parse) to refuse more than `MAX_IMPORT_ROWS` (`too_many_rows`). Python's zip
reader never returns more than a part's declared size, so the declared sizes bound what is read.
Malformed XML in any part is `bad_template`, like any other unreadable file; openpyxl parses with
defusedxml (no DTDs, no entity expansion). The worker streams the rows (read-only mode) in batches.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook, load_workbook

from services.billing.domain.expiry_import import TEMPLATE_HEADER, ExpiryRow, RejectedRow, parse_row
from shared.exports import neutralise_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


MAX_IMPORT_ROWS = 100_000  # data rows; the header is one more
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # 100,000 rows of the template expand to ~15 MiB
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # a sheet's XML compresses 5-30 to 1; a bomb 1,000 to 1
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


class UnreadableSheet(ValueError):
    """The upload is not an XLSX workbook in the template's shape (`code` says why)."""

    def __init__(self, detail: str, code: str = "bad_template") -> None:
        super().__init__(detail)
        self.code = code


def expiry_template() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("expiry")
    sheet.append(list(TEMPLATE_HEADER))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check_expiry_sheet(content: bytes) -> None:
    """The check at upload time: an XLSX within the expansion and row limits whose first row is the
    template's header."""
    check_expansion(content)
    header = next(_sheet_rows(content), None)
    if header is None or tuple(str(c or "").strip().lower() for c in header[:2]) != TEMPLATE_HEADER:
        raise UnreadableSheet(f"the first row must be the template header {', '.join(TEMPLATE_HEADER)}")
    rows = count_sheet_rows(content)
    if rows - 1 > MAX_IMPORT_ROWS:
        raise UnreadableSheet(f"the sheet has {rows - 1:,} rows after the header; at most {MAX_IMPORT_ROWS:,} are taken",
                              "too_many_rows")


def check_expansion(content: bytes) -> None:
    """Refuse a workbook whose parts would expand past the limits (read from the zip's directory)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableSheet("the file is not an XLSX workbook") from exc
    too_large = UnreadableSheet(f"the workbook expands past what an import may use ({MAX_UNCOMPRESSED_BYTES // 2**20} MiB of "
                                f"XML, {MAX_SHARED_STRINGS_BYTES // 2**20} MiB of shared strings, "
                                f"{MAX_COMPRESSION_RATIO}:1 compression)", "sheet_too_large")
    if sum(part.file_size for part in parts) > MAX_UNCOMPRESSED_BYTES:
        raise too_large
    for part in parts:
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > MAX_SHARED_STRINGS_BYTES:
            raise too_large
        if part.file_size > 1024 * 1024 and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1):
            raise too_large


def count_sheet_rows(content: bytes, chunk_bytes: int = 1024 * 1024) -> int:
    """The `<row>` elements of the first sheet, counted in its XML as it inflates (nothing parsed or kept)."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            count, tail = 0, b""
            with workbook.worksheets[0]._get_source() as xml:  # the sheet's part, inflating (openpyxl's own opener)
                while chunk := xml.read(chunk_bytes):
                    window = tail + chunk
                    count += len(_ROW_TAG.findall(window))
                    tail = window[-64:]
                    count -= len(_ROW_TAG.findall(tail))  # the overlap is counted with the next chunk
            return count + len(_ROW_TAG.findall(tail))
        finally:
            workbook.close()
    except UnreadableSheet:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the zip reader or openpyxl raise for a broken part
        raise UnreadableSheet("the file is not an XLSX workbook") from exc


def read_expiry_rows(content: bytes) -> Iterator[ExpiryRow | RejectedRow]:
    """Every data row (sheet row numbers, header is row 1), parsed or rejected; blank rows skipped.
    A stream: the sheet is read as the rows are taken."""
    rows = _sheet_rows(content)
    next(rows, None)
    for number, cells in enumerate(rows, start=2):
        device_cell = cells[0] if cells else None
        date_cell = cells[1] if len(cells) > 1 else None
        if device_cell is None and date_cell is None:
            continue
        yield parse_row(number, device_cell, date_cell)


def _sheet_rows(content: bytes) -> Iterator[tuple[Any, ...]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a broken zip or malformed XML in any part (a ParseError is no ValueError)
        raise UnreadableSheet("the file is not an XLSX workbook") from exc
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except Exception as exc:  # noqa: BLE001 - malformed XML in the sheet or its shared strings, found while reading
        raise UnreadableSheet("the sheet's XML is malformed") from exc
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
