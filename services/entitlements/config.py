"""Settings of the entitlements service, read from the environment when `Settings.from_env()` is called."""
from __future__ import annotations

import os
from dataclasses import dataclass

from shared import links
from shared.settings import CommonSettings

SERVICE = "entitlements"
DEFAULT_PORTAL_URL = "http://localhost:8080/portal"


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    portal_url: str = DEFAULT_PORTAL_URL
    digital_invoice_validity_days: int = 365

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            common=CommonSettings.from_env(SERVICE),
            portal_url=links.portal(),
            digital_invoice_validity_days=int(os.environ.get("ENTITLEMENTS_DIGITAL_INVOICE_VALIDITY_DAYS", "365")),
        )
