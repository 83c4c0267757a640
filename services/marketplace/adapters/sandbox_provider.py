"""The sandbox payment provider: it "takes" the payment and calls the service back with a signed notification.

The callback travels over HTTP to the service's own callback endpoint, signed with HMAC-SHA256 over
the raw body (header `X-Sandbox-Signature: sha256=<hex>`), as a real provider's would.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import requests

SIGNATURE_HEADER = "X-Sandbox-Signature"
CALLBACK_PATH = "/marketplace/v1/payments/sandbox-callback"

Poster = Callable[[str, bytes, dict[str, str]], int]


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str | None, secret: str) -> bool:
    return bool(signature) and hmac.compare_digest(sign(body, secret), signature or "")


def http_poster(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=10).status_code


class SandboxProvider:
    def __init__(self, own_url: str, secret: str, post: Poster = http_poster) -> None:
        self.own_url = own_url.rstrip("/")
        self.secret = secret
        self.post = post

    def notify(self, notification: dict[str, Any]) -> int:
        """Sends the signed callback; returns the HTTP status the service answered."""
        body = json.dumps(notification, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        return self.post(self.own_url + CALLBACK_PATH, body, headers)
