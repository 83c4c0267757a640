"""An online payment's redirect_url is the portal's payment page at SUITE_PUBLIC_URL, never an API path."""
from __future__ import annotations

from services.billing.adapters.payment_providers import Checkout, default_sandbox


def test_the_default_sandbox_sends_the_payer_to_the_portal_at_the_public_url(monkeypatch, tmp_path):
    monkeypatch.setenv("SUITE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BILLING_SANDBOX_SECRET", "s" * 32)
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    checkout = Checkout("pay-1", "wechat", 100, "CNY")
    assert default_sandbox().redirect_url(checkout) == "http://localhost:22080/portal/pay/billing/pay-1"
    monkeypatch.setenv("SUITE_PUBLIC_URL", "https://suite.example.com")
    assert default_sandbox().redirect_url(checkout) == "https://suite.example.com/portal/pay/billing/pay-1"
