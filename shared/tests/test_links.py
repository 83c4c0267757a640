"""SUITE_PUBLIC_URL: every link a service writes starts there; unset, at the gateway's address with the port offset."""
from __future__ import annotations

import pytest

from shared import links


def test_without_setting_links_name_the_gateway_port_with_the_offset(monkeypatch):
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    assert links.public_url() == "http://localhost:22080"
    assert links.portal() == "http://localhost:22080/portal"
    monkeypatch.delenv("SUITE_PORT_OFFSET")
    assert links.public_url() == "http://localhost:8080"


def test_the_setting_wins_and_pages_are_built_under_it(monkeypatch):
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    monkeypatch.setenv("SUITE_PUBLIC_URL", "https://suite.example.com/")
    assert links.portal() == "https://suite.example.com/portal"
    assert links.portal("activate", order_no="ORD 1&x") == "https://suite.example.com/portal/activate?order_no=ORD+1%26x"
    assert links.market("apply") == "https://suite.example.com/market/apply"
    assert links.payment_page("billing", "p/1") == "https://suite.example.com/portal/pay/billing/p%2F1"
    assert links.payment_page("marketplace", "p-2", base="http://x.test") == "http://x.test/portal/pay/marketplace/p-2"


@pytest.mark.parametrize("bad", ["suite.example.com", "ftp://suite.example.com", "https://x.test/?a=1", "https://x.test/#f"])
def test_a_public_url_that_cannot_start_a_link_is_refused(monkeypatch, bad):
    monkeypatch.setenv("SUITE_PUBLIC_URL", bad)
    with pytest.raises(ValueError, match="SUITE_PUBLIC_URL"):
        links.public_url()


def test_no_payment_page_for_a_service_that_takes_no_payments():
    with pytest.raises(ValueError):
        links.payment_page("licensing", "p-1")
