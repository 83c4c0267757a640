"""Settings of the marketplace service, read from the environment when `Settings.from_env()` is called."""
from __future__ import annotations

from dataclasses import dataclass

from shared.settings import CommonSettings

SERVICE = "marketplace"


@dataclass(frozen=True)
class Settings:
    common: CommonSettings

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(common=CommonSettings.from_env(SERVICE))
