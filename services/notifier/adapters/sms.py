"""SMS providers: the interface and the built-in ones.

`SMS_PROVIDER` unset or `file`: each SMS is written to `var/sms/<time>-<phone>-<message id>.txt`
holding exactly the text. `webhook`: each SMS is POSTed as JSON `{to, text, reference}` to
`SMS_WEBHOOK_URL` (the shape most SMS gateways accept behind a small adapter).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import requests

from shared.clock import utcnow


class SmsSendFailed(Exception):
    """The provider did not accept the SMS; the message is retried."""


class SmsProvider(Protocol):
    def send(self, phone: str, text: str, reference: str) -> None: ...


def _file_safe(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum() or ch in "+-_.@")


class FileSmsProvider:
    """Writes each SMS to a file named with the phone number (file names sort by time of writing)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, phone: str, text: str, reference: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}Z-{_file_safe(phone)}-{_file_safe(reference)[:12]}.txt"
        draft = self.folder / f".{name}.part"
        draft.write_text(text, encoding="utf-8")
        os.replace(draft, self.folder / name)


class WebhookSmsProvider:
    """Posts each SMS to an HTTP endpoint; any answer other than 2xx is a failure to retry."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, phone: str, text: str, reference: str) -> None:
        try:
            response = requests.post(self.url, json={"to": phone, "text": text, "reference": reference}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmsSendFailed(f"SMS webhook unreachable: {type(exc).__name__}") from exc
        if not response.ok:
            raise SmsSendFailed(f"SMS webhook answered {response.status_code}")
