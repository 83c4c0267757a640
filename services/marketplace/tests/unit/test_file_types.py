"""Qualification files are judged by their content, not their names."""
from __future__ import annotations

import pytest

from services.marketplace.domain.file_types import MAX_FILE_BYTES, FileRefused, check_file
from services.marketplace.tests.helpers import EXE, JPG, PDF, PNG


@pytest.mark.parametrize(("content", "kind"), [(JPG, "jpg"), (PNG, "png"), (PDF, "pdf")])
def test_jpg_png_and_pdf_are_recognised_by_their_first_bytes(content: bytes, kind: str) -> None:
    assert check_file("whatever.bin", content)[0] == kind


@pytest.mark.parametrize(("filename", "content"), [("licence.pdf", EXE), ("photo.jpg", b"just some text"),
                                                   ("scan.png", b"GIF89a" + b"\x00" * 10)])
def test_a_disguised_file_is_refused_whatever_its_extension(filename: str, content: bytes) -> None:
    with pytest.raises(FileRefused) as refused:
        check_file(filename, content)
    assert refused.value.code == "unsupported_file_type"


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(FileRefused) as refused:
        check_file("empty.pdf", b"")
    assert refused.value.code == "empty_file"


def test_a_file_over_5_mib_is_refused_and_one_at_the_limit_accepted() -> None:
    assert check_file("max.pdf", PDF + b"0" * (MAX_FILE_BYTES - len(PDF)))[0] == "pdf"
    with pytest.raises(FileRefused) as refused:
        check_file("big.pdf", PDF + b"0" * (MAX_FILE_BYTES - len(PDF) + 1))
    assert refused.value.code == "file_too_large"
