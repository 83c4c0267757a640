"""The sandbox payment provider: it "takes" the payment and calls the service back with a signed notification.

The callback travels over HTTP to the service's own callback endpoint, signed with HMAC-SHA256 over
`"<timestamp>.<raw body>"` (headers `X-Sandbox-Timestamp: <unix seconds>` and `X-Sandbox-Signature:
v1=<hex>`), as a real provider's would. Verification refuses an unsigned or wrongly signed
notification and one whose timestamp is more than `TOLERANCE_SECONDS` away from now (a captured
callback cannot be replayed later); a fresh replay is harmless, the service applies a notification once.
The secret is the installation's own (`MARKETPLACE_PAYMENT_SECRET`, or generated once under var/): it
has no default anyone could read in the code.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300
CALLBACK_PATH = "/marketplace/v1/payments/sandbox-callback"

Poster = Callable[[str, bytes, dict[str, str]], int]


class CallbackRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def sign(body: bytes, secret: str, timestamp: str) -> str:
    return "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_headers(body: bytes, secret: str, now: datetime) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(body, secret, timestamp), "Content-Type": "application/json"}


def verify(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
    """Raises CallbackRejected unless the notification is signed with `secret` and fresh."""
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise CallbackRejected("invalid_signature", "the notification carries no timestamp or no signature")
    if not hmac.compare_digest(sign(body, secret, timestamp), signature):
        raise CallbackRejected("invalid_signature", "the notification signature does not verify")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
        raise CallbackRejected("callback_stale", "the notification's timestamp is too old or in the future")


def http_poster(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=10).status_code


class SandboxProvider:
    def __init__(self, own_url: str, secret: str, post: Poster = http_poster, clock: Callable[[], datetime] | None = None) -> None:
        if not secret:
            raise ValueError("the sandbox provider needs a secret")
        self.own_url = own_url.rstrip("/")
        self.secret = secret
        self.post = post
        self.clock = clock or (lambda: datetime.now(UTC))

    def notify(self, notification: dict[str, Any], now: datetime | None = None) -> int:
        """Sends the callback signed at `now` (else the provider's clock); returns the HTTP status answered."""
        body = json.dumps(notification, sort_keys=True).encode()
        return self.post(self.own_url + CALLBACK_PATH, body, signature_headers(body, self.secret, now or self.clock()))
