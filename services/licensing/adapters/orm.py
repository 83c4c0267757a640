"""The licensing service's tables (its database and nobody else's)."""
from __future__ import annotations

from sqlalchemy import MetaData

from shared.db import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)
