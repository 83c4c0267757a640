"""Settings of the identity service, read from the environment when `Settings.from_env()` is called.

`IDENTITY_KEY_ENCRYPTION_KEY` (32 bytes, base64url) encrypts signing keys and API-client secrets at
rest. When it is unset, a key is generated on first start into `var/identity/key-encryption.key`
(mode 0600) and reused afterwards; production sets the variable from a secret store instead.

Links in mails (the welcome mail's portal address, invitations' `…/portal/activate?token=…`) start at
`SUITE_PUBLIC_URL` (`shared.links`).

`IDENTITY_TRUSTED_PROXIES` (comma-separated addresses or networks, e.g. `127.0.0.1` or `10.8.0.0/16`)
names the callers of the gateway that forward their own client's address: the web app, which signs
users in for the browser. When the gateway saw such a caller, the address before it in
`X-Forwarded-For` is the one the per-address login throttle counts. Unset: only the gateway's entry.

`SUITE_SERVICE_CLIENTS` lists the service accounts other services of the suite log in with
(`POST /identity/v1/oauth/token`): a JSON object `{"notifier": "<secret>", …}` or
`notifier:<secret>,billing:<secret>`. Names are 2-40 lower-case letters, digits and hyphens; secrets at
least 16 characters. Unset or empty: no service accounts.
"""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from shared import links
from shared.settings import CommonSettings, var_dir

SERVICE = "identity"
KEY_FILE_NAME = "key-encryption.key"
SERVICE_CLIENT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
MIN_SERVICE_SECRET_LENGTH = 16


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    key_encryption_key: bytes
    admin_username: str | None = None
    admin_password: str | None = None
    portal_url: str = "http://localhost:8080/portal"
    access_token_seconds: int = 900
    key_activation_seconds: float = 5.0
    refresh_token_days: int = 14
    service_clients: dict[str, str] = field(default_factory=dict, repr=False)
    trusted_proxies: tuple[str, ...] = ()  # IDENTITY_TRUSTED_PROXIES: addresses/networks whose X-Forwarded-For entry is believed

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            common=CommonSettings.from_env(SERVICE),
            key_encryption_key=key_encryption_key(),
            admin_username=os.environ.get("SUITE_ADMIN_USERNAME") or None,
            admin_password=os.environ.get("SUITE_ADMIN_PASSWORD") or None,
            portal_url=links.portal(),
            service_clients=parse_service_clients(os.environ.get("SUITE_SERVICE_CLIENTS", "")),
            trusted_proxies=tuple(part.strip() for part in os.environ.get("IDENTITY_TRUSTED_PROXIES", "").split(",") if part.strip()),
        )


def parse_service_clients(text: str) -> dict[str, str]:
    """Service-account names and secrets from `SUITE_SERVICE_CLIENTS` (JSON object or `name:secret,…`)."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            pairs = json.loads(text)
        except ValueError as exc:
            raise ValueError("SUITE_SERVICE_CLIENTS is not valid JSON") from exc
        if not isinstance(pairs, dict):
            raise ValueError("SUITE_SERVICE_CLIENTS must be a JSON object of name: secret")
        entries = list(pairs.items())
    else:
        entries = [tuple(part.strip().partition(":")[::2]) for part in text.split(",") if part.strip()]
    clients: dict[str, str] = {}
    for name, secret in entries:
        if not isinstance(name, str) or not SERVICE_CLIENT_NAME.match(name):
            raise ValueError(f"SUITE_SERVICE_CLIENTS: {name!r} is not a service name (2-40 of a-z, 0-9, -)")
        if not isinstance(secret, str) or len(secret) < MIN_SERVICE_SECRET_LENGTH:
            raise ValueError(f"SUITE_SERVICE_CLIENTS: the secret of {name!r} needs at least {MIN_SERVICE_SECRET_LENGTH} characters")
        if name in clients:
            raise ValueError(f"SUITE_SERVICE_CLIENTS names {name!r} twice")
        clients[name] = secret
    return clients


def decode_key(text: str) -> bytes:
    key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    if len(key) != 32:
        raise ValueError("IDENTITY_KEY_ENCRYPTION_KEY must be 32 bytes, base64url-encoded")
    return key


def key_encryption_key() -> bytes:
    """The key from the environment, else the one in var/identity/ (created once, race-free)."""
    explicit = os.environ.get("IDENTITY_KEY_ENCRYPTION_KEY")
    if explicit:
        return decode_key(explicit)
    folder = var_dir() / SERVICE
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return decode_key(path.read_text())


def _create_key_file(path: Path) -> None:
    """Write a new key beside `path` and link it into place: of racing processes, one key wins."""
    candidate = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    try:
        os.link(candidate, path)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
