"""Settings of the web app, read from the environment when `WebConfig.from_env()` is called."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.installation import installation_secret
from shared.settings import GATEWAY_PORT, WEB_PORT, port_offset, var_dir

SERVICE = "web"


def gateway_url() -> str:
    """Where the web app reaches the public API: `WEB_GATEWAY_URL`, else the local gateway (port offset included)."""
    explicit = os.environ.get("WEB_GATEWAY_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://127.0.0.1:{GATEWAY_PORT + port_offset()}"


@dataclass(frozen=True)
class WebConfig:
    """Everything the web app needs; tests replace single fields with `with_overrides`."""

    gateway_url: str = "http://127.0.0.1:8080"
    secret_key: str = ""
    session_redis_url: str | None = None  # None: sessions in files under session_dir
    session_dir: str = ""
    session_minutes: int = 30  # idle time after which a signed-in session ends
    cookie_secure: bool = False  # True: always Secure; False: Secure whenever the request came over HTTPS
    api_timeout: float = 15.0
    default_locale: str = "zh_CN"
    trusted_proxies: int = 1  # the gateway in front

    @classmethod
    def from_env(cls) -> "WebConfig":
        folder = var_dir() / "web"
        return cls(
            gateway_url=gateway_url(),
            secret_key=installation_secret("WEB_SECRET_KEY", "web-secret-key"),  # var/secrets, made once
            session_redis_url=os.environ.get("WEB_SESSION_REDIS_URL") or os.environ.get("REDIS_URL") or None,
            session_dir=os.environ.get("WEB_SESSION_DIR", str(folder / "sessions")),
            session_minutes=int(os.environ.get("WEB_SESSION_MINUTES", "30")),
            cookie_secure=os.environ.get("WEB_COOKIE_SECURE", "0") == "1",
            api_timeout=float(os.environ.get("WEB_API_TIMEOUT", "15")),
            trusted_proxies=int(os.environ.get("WEB_TRUSTED_PROXIES", "1")),
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> "WebConfig":
        return dataclasses.replace(self, **overrides)


def web_port() -> int:
    return WEB_PORT + port_offset()
