"""Settings of the billing service, read from the environment when `Settings.from_env()` is called."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from shared.settings import CommonSettings

SERVICE = "billing"
# Expiry imports of 100,000 rows are XLSX files of a few megabytes.
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    common: CommonSettings

    @classmethod
    def from_env(cls) -> "Settings":
        common = CommonSettings.from_env(SERVICE)
        limit = int(os.environ.get("BILLING_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES)))
        return cls(common=dataclasses.replace(common, max_body_bytes=limit))
