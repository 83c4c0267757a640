"""The `?page=` of a list page, as the API's `page` and `page_size` (bad or huge values fall back to 1)."""
from __future__ import annotations

from flask import request

PAGE_SIZE = 20
MAX_PAGE = 100_000  # the API's own limit


def page_args(page_size: int = PAGE_SIZE) -> dict[str, int]:
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) <= MAX_PAGE else 1
    return {"page": number, "page_size": page_size}
