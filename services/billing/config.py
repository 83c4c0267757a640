"""Settings of the billing service, read from the environment when `Settings.from_env()` is called."""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared.settings import CommonSettings

SERVICE = "billing"
# Expiry imports of 100,000 rows are XLSX files of a few megabytes: their upload (only) may be this large.
DEFAULT_IMPORT_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    import_body_bytes: int = DEFAULT_IMPORT_BODY_BYTES

    @classmethod
    def from_env(cls) -> "Settings":
        limit = int(os.environ.get("BILLING_MAX_BODY_BYTES", str(DEFAULT_IMPORT_BODY_BYTES)))
        return cls(common=CommonSettings.from_env(SERVICE), import_body_bytes=limit)
