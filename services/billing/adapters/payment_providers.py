"""Online payment providers behind one interface, and the default sandbox provider.

The sandbox plays WeChat Pay, Alipay and PayPal: the payer is sent (`redirect_url`) to the portal's
payment page `<SUITE_PUBLIC_URL>/portal/pay/billing/{payment_id}`, which shows the sandbox's checkout
(`GET /billing/v1/sandbox/pay/{payment_id}`) and posts the payer's outcome to it; the billing worker then
(out of band, never the page's request: service_layer/sandbox.py) sends the notification to the billing
service's public callback URL over HTTP, signed with HMAC-SHA256 over `"<timestamp>.<body>"` (headers `X-Sandbox-Timestamp`,
`X-Sandbox-Signature`). Verification refuses unsigned, wrongly signed and stale notifications.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import requests

from shared import links
from shared.settings import service_url, var_dir

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300
CALLBACK_PATH = "/billing/v1/payments/callback"

CallbackTransport = Callable[[str, bytes, dict[str, str]], int]


@dataclass(frozen=True)
class Checkout:
    payment_id: str
    method: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class CallbackNotice:
    payment_id: str
    outcome: str
    amount_minor: int
    currency: str
    provider_ref: str


class CallbackRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class PaymentProvider(Protocol):
    def redirect_url(self, checkout: Checkout) -> str: ...

    def verify_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackNotice: ...


class SandboxProvider:
    """The default provider: redirects to its own checkout page and calls back with signed notices."""

    def __init__(self, secret: bytes, public_url: str, callback_url: str, transport: CallbackTransport | None = None) -> None:
        self._secret = secret
        self.public_url = public_url.rstrip("/")
        self.callback_url = callback_url
        self._transport = transport or http_transport

    def redirect_url(self, checkout: Checkout) -> str:
        """The portal's payment page (`shared.links.payment_page`); it shows the sandbox's checkout and posts the outcome."""
        return links.payment_page("billing", checkout.payment_id, base=self.public_url)

    def send_callback(self, checkout: Checkout, outcome: str, now: datetime) -> int:
        """What the provider does once the payer finished: POST the signed notice, return the answer's status."""
        notice = {
            "payment_id": checkout.payment_id,
            "outcome": outcome,
            "amount_minor": checkout.amount_minor,
            "currency": checkout.currency,
            "provider_ref": f"SBX-{secrets.token_hex(6).upper()}",
        }
        body = json.dumps(notice, separators=(",", ":")).encode()
        return self._transport(self.callback_url, body, self.signature_headers(body, now))

    def signature_headers(self, body: bytes, now: datetime) -> dict[str, str]:
        timestamp = str(int(now.timestamp()))
        return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: self._sign(timestamp, body), "Content-Type": "application/json"}

    def verify_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackNotice:
        timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
        if not timestamp or not signature:
            raise CallbackRejected("callback_unsigned", "the notification carries no signature")
        if not hmac.compare_digest(self._sign(timestamp, body), signature):
            raise CallbackRejected("callback_signature_invalid", "the notification's signature does not match")
        if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
            raise CallbackRejected("callback_stale", "the notification's timestamp is too old or in the future")
        return _notice(body)

    def _sign(self, timestamp: str, body: bytes) -> str:
        return "v1=" + hmac.new(self._secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _notice(body: bytes) -> CallbackNotice:
    try:
        data = json.loads(body)
        return CallbackNotice(
            payment_id=str(data["payment_id"]),
            outcome=str(data["outcome"]),
            amount_minor=int(data["amount_minor"]),
            currency=str(data["currency"]),
            provider_ref=str(data.get("provider_ref") or "")[:80],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CallbackRejected("callback_malformed", "the notification body is not a payment notice") from exc


def http_transport(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=15).status_code


def sandbox_secret() -> bytes:
    """`BILLING_SANDBOX_SECRET`, else a key generated once into var/billing-sandbox.key (shared by all processes)."""
    explicit = os.environ.get("BILLING_SANDBOX_SECRET")
    if explicit:
        return explicit.encode()
    path = var_dir() / "billing-sandbox.key"
    if not path.exists():
        # Written aside and linked into place, so a racing process sees no key or a whole key.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip().encode()


def default_sandbox() -> SandboxProvider:
    """The sandbox wired to this suite: checkout pages through the gateway, callbacks to billing itself."""
    return SandboxProvider(sandbox_secret(), links.public_url(), service_url("billing") + CALLBACK_PATH)
