"""A streaming XLSX writer: one sheet of inline-string and number cells, written into a zip as rows
arrive and handed out in chunks, so an export of any size starts at once and needs little memory.
(openpyxl's write-only mode still builds the whole file before it can be sent.)"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any
from xml.sax.saxutils import escape

_OOXML = "http://schemas.openxmlformats.org"
_RELATIONSHIP = f"{_OOXML}/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="' + _RELATIONSHIP + '/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="' + _RELATIONSHIP + '/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"
# Characters XML 1.0 cannot carry at all; they are dropped from cell text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _workbook(sheet_name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


class _Chunks:
    """A write-only file object whose written bytes are taken out in chunks (zipfile streams into it)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None or not isinstance(value, int | float):
        text = "" if value is None else str(value)
        return f'<c t="inlineStr"><is><t>{escape(_NOT_XML.sub("", text))}</t></is></c>'
    return f"<c><v>{value}</v></c>"


def xlsx_chunks(
    header: list[str], rows: Iterable[Iterable[Any]], sheet_name: str = "export", rows_per_chunk: int = 2000
) -> Iterator[bytes]:
    """Yield the bytes of an XLSX file with `header` and `rows`, chunk by chunk."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet_name))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            buffer: list[str] = ["<row>", *map(_cell, header), "</row>"]
            for count, row in enumerate(rows, start=1):
                buffer.append("<row>")
                buffer.extend(map(_cell, row))
                buffer.append("</row>")
                if count % rows_per_chunk == 0:
                    sheet.write("".join(buffer).encode())
                    buffer = []
                    yield sink.take()
            buffer.append(_SHEET_END)
            sheet.write("".join(buffer).encode())
    yield sink.take()
