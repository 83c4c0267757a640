"""Settings of the web app, read from the environment when `WebConfig.from_env()` is called."""
from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.settings import GATEWAY_PORT, WEB_PORT, port_offset, var_dir

SERVICE = "web"


def gateway_url() -> str:
    """Where the web app reaches the public API: `WEB_GATEWAY_URL`, else the local gateway (port offset included)."""
    explicit = os.environ.get("WEB_GATEWAY_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://127.0.0.1:{GATEWAY_PORT + port_offset()}"


def _secret_key(folder: Path) -> str:
    """`WEB_SECRET_KEY`, else one kept in var/web/secret_key (made once, mode 0600), so every worker
    process and every restart of `make up` signs CSRF tokens alike."""
    explicit = os.environ.get("WEB_SECRET_KEY")
    if explicit:
        return explicit
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # whole or not at all: another worker may have made it first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


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
            secret_key=_secret_key(folder),
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
