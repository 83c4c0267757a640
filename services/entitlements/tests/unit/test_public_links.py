"""The activation mail's link starts at SUITE_PUBLIC_URL (the gateway with the port offset when unset)."""
from __future__ import annotations

from services.entitlements.config import Settings
from services.entitlements.service_layer.policy import Policy


def test_portal_url_follows_the_public_url_setting(monkeypatch):
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    assert Settings.from_env().portal_url == "http://localhost:22080/portal"
    monkeypatch.setenv("SUITE_PUBLIC_URL", "https://suite.example.com")
    assert Settings.from_env().portal_url == "https://suite.example.com/portal"


def test_activation_link_names_the_order_number_under_the_portal():
    assert Policy("https://suite.example.com/portal").activation_url("EO2026&1") == (
        "https://suite.example.com/portal/activate?order_no=EO2026%261")


def test_the_delivered_order_mail_links_to_its_order_under_the_configured_portal(portal):
    portal.tenant_known("tenant-1")
    portal.product("FP-ISSUE")
    order = portal.deliver("tenant-1", {"product_code": "FP-ISSUE", "quantity": 1})
    [event] = portal.events("entitlements.order.delivered.v1")
    assert event["activation_url"] == f"https://portal.test/activate?order_no={order['order_no']}"
