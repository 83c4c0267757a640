"""Every event the notifier consumes renders in Chinese and English, as the catalogue describes it."""
from __future__ import annotations

import pytest

from services.notifier.adapters.templates import TemplateMissing, TemplateRenderer, html_alternative, minutes_after, money, utc_time
from services.notifier.domain.catalogue import CATALOGUE, Channel
from services.notifier.domain.masking import MASK, masked
from services.notifier.tests import samples
from shared.settings import repo_root
from shared.topology import consumed_event_types

ENVELOPE = {"id": "event-1", "type": "t", "time": "2026-01-01T00:00:00Z", "subject": "s"}


def _catalogued_for_notifier() -> set[str]:
    """Event types whose row in docs/events.md names the notifier among the consumers."""
    types: set[str] = set()
    for line in (repo_root() / "docs" / "events.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 6 or "notifier" not in cells[5] or not cells[1].count("."):
            continue
        first, *others = [t.strip() for t in cells[1].split("/")]
        types.add(first)
        stem = first.rsplit(".", 2)[0]
        types.update(stem + other for other in others)
    return types


def test_the_catalogue_covers_every_event_docs_and_topology_route_to_the_notifier():
    catalogued = _catalogued_for_notifier()
    assert "entitlements.line.expired.v1" in catalogued
    assert catalogued <= set(CATALOGUE)
    assert set(CATALOGUE) == consumed_event_types("notifier")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_every_event_type_renders_in_each_language_with_only_documented_fields(event_type, language):
    rendered = TemplateRenderer(strict=True).render(event_type, language, samples.DATA[event_type], ENVELOPE)
    assert rendered.body.strip()
    if CATALOGUE[event_type].channel is Channel.MAIL:
        assert rendered.subject
        assert "\n" not in rendered.subject
    else:
        assert rendered.subject is None
    greeting = {"zh-CN": ("张三，您好：", "【发票云】"), "en": ("Dear 张三,", "[Invoice Cloud]")}[language]
    assert rendered.body.startswith(greeting)


@pytest.mark.parametrize(
    ("language", "password_label"), [("zh-CN", "初始密码：Init-Pa55-Xq7!"), ("en", "Initial password: Init-Pa55-Xq7!")]
)
def test_welcome_mail_gives_portal_link_username_and_initial_password(language, password_label):
    data = samples.DATA["identity.tenant.created.v1"]
    rendered = TemplateRenderer(strict=True).render("identity.tenant.created.v1", language, data, ENVELOPE)
    assert "https://portal.suite.local/login" in rendered.body
    assert "admin@acme.test" in rendered.body
    assert password_label in rendered.body
    assert "苏州测试科技有限公司" in (rendered.subject or "")


def test_welcome_mail_rendered_from_masked_data_hides_the_password_only():
    data = masked(samples.DATA["identity.tenant.created.v1"])
    rendered = TemplateRenderer(strict=True).render("identity.tenant.created.v1", "zh-CN", data, ENVELOPE)
    assert samples.INITIAL_PASSWORD not in rendered.body
    assert f"初始密码：{MASK}" in rendered.body
    assert "登录账号：admin@acme.test" in rendered.body


def test_activation_mail_gives_link_operation_key_and_order_lines():
    data = samples.DATA["entitlements.order.delivered.v1"]
    rendered = TemplateRenderer(strict=True).render("entitlements.order.delivered.v1", "zh-CN", data, ENVELOPE)
    assert "激活链接：https://portal.suite.local/orders/activate" in rendered.body
    assert f"操作密钥：{samples.OPERATION_KEY}" in rendered.body
    assert "发票开具（INV-ISSUE）× 3" in rendered.body


@pytest.mark.parametrize(("language", "notice"), [("zh-CN", "这是重新发送的激活邮件"), ("en", "This activation mail was sent again")])
def test_a_resent_activation_mail_says_the_earlier_key_is_gone(language, notice):
    renderer = TemplateRenderer(strict=True)
    data = samples.DATA["entitlements.order.delivered.v1"]
    first = renderer.render("entitlements.order.delivered.v1", language, data, ENVELOPE)
    again = renderer.render("entitlements.order.delivered.v1", language, {**data, "resent": True}, ENVELOPE)
    assert notice not in first.body
    assert notice in again.body
    assert again.body.count("\n\n") == first.body.count("\n\n") + 1


@pytest.mark.parametrize(
    ("language", "reason"), [("zh-CN", "续费未能完成：账户余额不足"), ("en", "could not be completed: the balance is too low")]
)
def test_a_failed_auto_renewal_without_an_order_explains_why_in_words(language, reason):
    data = {**samples.DATA["billing.renewal.completed.v1"], "ok": False, "error": "insufficient_balance", "order_id": None, "devices": []}
    rendered = TemplateRenderer(strict=True).render("billing.renewal.completed.v1", language, data, ENVELOPE)
    assert reason in rendered.body
    assert "None" not in rendered.body


def test_sms_code_says_what_it_is_for_and_how_long_it_lasts():
    data = samples.DATA["identity.sms_code.requested.v1"]
    zh = TemplateRenderer(strict=True).render("identity.sms_code.requested.v1", "zh-CN", data, ENVELOPE)
    en = TemplateRenderer(strict=True).render("identity.sms_code.requested.v1", "en", data, ENVELOPE)
    assert zh.body == "【发票云】您的验证码为 604219，用于修改密码，5 分钟内有效。请勿将验证码告诉他人。"
    assert en.body.startswith("[Invoice Cloud] Your code for changing your password is 604219, valid for 5 minutes.")


def test_lenient_renderer_still_renders_when_a_producer_leaves_a_field_out():
    data = {k: v for k, v in samples.DATA["billing.order.paid.v1"].items() if k != "method"}
    rendered = TemplateRenderer().render("billing.order.paid.v1", "en", data, ENVELOPE)
    assert "Paid with:" in rendered.body
    with pytest.raises(Exception, match="method"):
        TemplateRenderer(strict=True).render("billing.order.paid.v1", "en", data, ENVELOPE)


def test_unknown_template_is_a_clear_error():
    with pytest.raises(TemplateMissing):
        TemplateRenderer().render("identity.nothing.happened.v1", "en", {}, ENVELOPE)


def test_amounts_are_shown_in_major_units_of_their_currency():
    assert money(1234500, "CNY") == "12,345.00 CNY"
    assert money(5, "USD") == "0.05 USD"
    assert money(-150, "EUR") == "-1.50 EUR"
    assert money(1200, "JPY") == "1,200 JPY"


def test_times_are_shown_in_utc_and_validity_in_minutes():
    assert utc_time("2026-01-04T08:30:00Z") == "2026-01-04 08:30 UTC"
    assert utc_time("2026-01-04T16:30:00+08:00") == "2026-01-04 08:30 UTC"
    assert utc_time("soon") == "soon"
    assert minutes_after("2026-01-01T00:05:00Z", "2026-01-01T00:00:00Z") == 5
    assert minutes_after("2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z") is None
    assert minutes_after(None, "2026-01-01T00:00:00Z") is None


def test_html_alternative_escapes_the_text_and_makes_links_clickable():
    html = html_alternative("Hi <b>you</b> & co\n\nOpen https://x.test/a?b=1&c=2 now\nthanks", "en")
    assert "&lt;b&gt;you&lt;/b&gt; &amp; co" in html
    assert '<a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a> now<br>' in html
    assert html.count("<p>") == 2
    assert '<html lang="en">' in html
