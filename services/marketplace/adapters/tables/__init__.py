"""The marketplace's tables, grouped by area; `metadata` is the one MetaData of this service's database."""
from __future__ import annotations

from sqlalchemy import DateTime, MetaData, String

from shared.db import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)


def Id() -> String:  # noqa: N802 - reads like a column type
    return String(36)


def Time() -> DateTime:  # noqa: N802
    return DateTime(timezone=True)
