"""Settings of the marketplace service, read from the environment when `Settings.from_env()` is called."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.installation import installation_secret
from shared.settings import CommonSettings, service_url, var_dir

SERVICE = "marketplace"
UPLOAD_BODY_BYTES = 26 * 1024 * 1024  # five files of 5 MiB and the form around them


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    uploads_dir: Path
    payment_secret: str
    own_url: str

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            common=CommonSettings.from_env(SERVICE),
            uploads_dir=Path(os.environ.get("MARKETPLACE_UPLOADS_DIR") or var_dir() / "uploads" / SERVICE),
            payment_secret=installation_secret("MARKETPLACE_PAYMENT_SECRET", "marketplace-payment"),
            own_url=service_url(SERVICE),
        )
