"""Qualification and attachment files: recognised by their first bytes, never by their name."""
from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_APPLICATION = 5

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"%PDF-", "pdf", "application/pdf"),
)


class FileRefused(ValueError):
    """A file that may not be stored; `code` is the problem code the caller reports."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def detect_kind(head: bytes) -> tuple[str, str] | None:
    """(kind, media type) of a jpg, png or pdf judged by its leading bytes, else None."""
    for signature, kind, media_type in _SIGNATURES:
        if head.startswith(signature):
            return kind, media_type
    return None


def check_file(filename: str, content: bytes) -> tuple[str, str]:
    """The file's (kind, media type), or FileRefused when empty, too large or not a jpg/png/pdf."""
    if not content:
        raise FileRefused("empty_file", f"{filename} is empty")
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused("file_too_large", f"{filename} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    detected = detect_kind(content[:16])
    if detected is None:
        raise FileRefused("unsupported_file_type", f"{filename} is not a jpg, png or pdf file (judged by its content)")
    return detected
