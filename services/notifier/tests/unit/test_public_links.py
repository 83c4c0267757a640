"""Links in the notifier's own wording (portal, storefront) start at SUITE_PUBLIC_URL; an event's own link wins."""
from __future__ import annotations

import pytest

from services.notifier.adapters.templates import TemplateRenderer
from services.notifier.config import Settings
from services.notifier.tests import samples

ENVELOPE = {"id": "event-1", "type": "t", "time": "2026-01-01T00:00:00Z", "subject": "s"}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize(("event_type", "link"), [
    ("entitlements.line.expiring.v1", "https://suite.example.com/portal"),
    ("identity.api_client.issued.v1", "https://suite.example.com/portal"),
    ("billing.device.expiring.v1", "https://suite.example.com/portal"),
    ("marketplace.reseller.rejected.v1", "https://suite.example.com/market/apply"),
])
def test_mails_link_to_the_suite_at_its_public_url(event_type, link, language):
    renderer = TemplateRenderer(strict=True, public_url="https://suite.example.com")
    assert link in renderer.render(event_type, language, samples.DATA[event_type], ENVELOPE).body


def test_the_events_own_portal_link_wins():
    data = samples.DATA["identity.tenant.created.v1"]
    rendered = TemplateRenderer(strict=True, public_url="https://suite.example.com").render(
        "identity.tenant.created.v1", "zh-CN", data, ENVELOPE)
    assert f"登录地址：{data['portal_url']}" in rendered.body


def test_the_worker_renders_with_the_public_url_setting(monkeypatch):
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    assert Settings.from_env().public_url == "http://localhost:22080"
    monkeypatch.setenv("SUITE_PUBLIC_URL", "https://suite.example.com")
    assert Settings.from_env().public_url == "https://suite.example.com"
