"""Deployment-specific values the handlers need (where the portal lives, how long 数电 info is valid)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Policy:
    portal_url: str
    digital_invoice_validity_days: int = 365

    def activation_url(self, order_no: str) -> str:
        return f"{self.portal_url}/activate?{urlencode({'order_no': order_no})}"
