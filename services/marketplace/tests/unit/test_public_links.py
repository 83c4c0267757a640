"""An online payment's redirect_url is absolute, at SUITE_PUBLIC_URL: the portal's payment page (it was the
sandbox API's relative path, and a GET on it was 405)."""
from __future__ import annotations

from services.marketplace.tests.helpers import Marketplace
from services.marketplace.tests.unit.test_orders_payments_api import placed_order


def test_online_payment_redirects_to_the_portal_page_at_the_public_url(market: Marketplace, monkeypatch) -> None:
    monkeypatch.setenv("SUITE_PUBLIC_URL", "https://suite.example.com")
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    started = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"})
    assert started.status_code == 201
    payment = started.get_json()
    assert payment["redirect_url"] == f"https://suite.example.com/portal/pay/marketplace/{payment['payment_id']}"


def test_without_the_setting_the_link_names_the_gateway_port_with_the_offset(market: Marketplace, monkeypatch) -> None:
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    payment = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
    assert payment["redirect_url"] == f"http://localhost:22080/portal/pay/marketplace/{payment['payment_id']}"
