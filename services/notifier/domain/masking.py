"""Secrets in event data: which values are secret, and the same data with them masked.

A message is rendered twice: once from the real data (to be sent, kept encrypted until then) and once
from `masked(data)` (the copy kept in the message log and shown to staff). Secret fields are masked
wherever they appear in the data; in links that carry a token, only the token part is masked.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "******"

SECRET_FIELDS = frozenset(
    {
        "initial_password",
        "temporary_password",
        "new_password",
        "password",
        "operation_key",
        "code",
        "client_secret",
        "secret",
        "encrypt_key",
        "token",
    }
)
TOKEN_LINK_FIELDS = frozenset({"activation_url", "reset_url", "invitation_url", "accept_url"})

# A path segment that looks like a generated token rather than a word of the route.
_TOKEN_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.~]{16,}$")


def mask_link(url: str) -> str:
    """The link with every query value, the fragment and token-like path segments masked."""
    parts = urlsplit(url)
    path = "/".join(MASK if _TOKEN_SEGMENT.match(segment) else segment for segment in parts.path.split("/"))
    query = urlencode([(name, MASK) for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, parts.netloc, path, query, fragment))


def masked(data: Any) -> Any:
    """A copy of `data` in which every secret value is replaced by MASK."""
    if isinstance(data, dict):
        return {key: _masked_value(str(key), value) for key, value in data.items()}
    if isinstance(data, list):
        return [masked(item) for item in data]
    return data


def _masked_value(key: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if key in SECRET_FIELDS and not isinstance(value, dict | list):
        return MASK
    if key in TOKEN_LINK_FIELDS and isinstance(value, str):
        return mask_link(value)
    return masked(value)


def has_secrets(data: Any) -> bool:
    return masked(data) != data
