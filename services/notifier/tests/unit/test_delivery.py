"""Sending: real SMTP, .eml files without SMTP, SMS files, retries with growing pauses, no secret in logs."""
from __future__ import annotations

import logging
from email import message_from_bytes

import pytest
from prometheus_client import REGISTRY

from services.notifier.adapters.sms import SmsSendFailed, WebhookSmsProvider
from services.notifier.domain.delivery import MAX_ATTEMPTS
from services.notifier.tests import samples
from services.notifier.tests.helpers import consume, header, sealed_contents, stored_messages
from shared.logs import JsonFormatter
from shared.testkit import body_text, free_port

WELCOME = "identity.tenant.created.v1"


def test_welcome_mail_reaches_the_smtp_server_right_after_the_event(worker, smtp_sink):
    consume(worker, samples.event(WELCOME))
    [mail] = smtp_sink.wait_for("admin@acme.test", timeout=5)
    assert header(mail, "Subject") == "发票云租户权益平台账号开通通知：苏州测试科技有限公司"
    text = body_text(mail)
    assert "登录地址：https://portal.suite.local/login" in text
    assert "登录账号：admin@acme.test" in text
    assert f"初始密码：{samples.INITIAL_PASSWORD}" in text
    [message] = stored_messages(worker)
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)
    assert message.sent_at is not None
    assert sealed_contents(worker) == [], "the real text is deleted once sent"


def test_mail_is_utf8_text_with_an_html_alternative_and_proper_headers(worker, smtp_sink):
    consume(worker, samples.event(WELCOME, recipient=samples.recipient(language="en")))
    [mail] = smtp_sink.wait_for("admin@acme.test", timeout=5)
    assert mail.get_content_type() == "multipart/alternative"
    text_part, html_part = mail.get_payload()
    assert (text_part.get_content_type(), text_part.get_content_charset()) == ("text/plain", "utf-8")
    assert (html_part.get_content_type(), html_part.get_content_charset()) == ("text/html", "utf-8")
    assert '<a href="https://portal.suite.local/login">' in html_part.get_payload(decode=True).decode("utf-8")
    assert "Initial password: Init-Pa55-Xq7!" in text_part.get_payload(decode=True).decode("utf-8")
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@suite.local>")
    assert mail["Date"] == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert header(mail, "From") == "发票云 <no-reply@suite.local>"
    assert header(mail, "To") == "张三 <admin@acme.test>"
    assert header(mail, "Subject") == "Your Invoice Cloud tenant portal account: 苏州测试科技有限公司"
    assert mail["Content-Language"] == "en"
    assert mail["X-Suite-Message-Id"] == stored_messages(worker)[0].id


def test_without_smtp_each_mail_is_written_to_var_mail_as_an_eml_file(make_worker, var):
    parts = make_worker(None)
    consume(parts, samples.event("billing.order.paid.v1"))
    [eml] = (var / "mail").glob("*.eml")
    assert "finance@acme.test" in eml.name
    mail = message_from_bytes(eml.read_bytes())
    assert "支付金额：12,345.00 CNY" in body_text(mail)
    assert stored_messages(parts)[0].status == "sent"


def test_sms_code_is_written_to_var_sms_in_a_file_named_with_the_phone(worker, var):
    consume(worker, samples.event("identity.sms_code.requested.v1"))
    [sms] = (var / "sms").glob("*13800138000*.txt")
    assert sms.read_text(encoding="utf-8") == "【发票云】您的验证码为 604219，用于修改密码，5 分钟内有效。请勿将验证码告诉他人。"
    [message] = stored_messages(worker)
    assert (message.channel, message.status, message.body.count("******")) == ("sms", "sent", 1)


def test_a_failed_send_is_retried_after_its_pause(make_worker, smtp_sink, clock):
    closed_port = free_port()
    failed, sent = _mail_counts()
    consume(make_worker(closed_port), samples.event(WELCOME))
    assert _mail_counts() == (failed + 1, sent), "notifications_total counts the failure"
    [message] = stored_messages(make_worker())
    assert (message.status, message.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in message.last_error
    working = make_worker(smtp_sink.port)
    clock.advance(seconds=4)
    assert working.delivery.deliver_due() == 0, "not due before its 5 s pause ends"
    clock.advance(seconds=1)
    assert working.delivery.deliver_due() == 1
    [mail] = smtp_sink.to("admin@acme.test")
    assert samples.INITIAL_PASSWORD in body_text(mail)
    [message] = stored_messages(working)
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)
    assert _mail_counts() == (failed + 1, sent + 1), "notifications_total counts the send"


def _mail_counts() -> tuple[float, float]:
    value = REGISTRY.get_sample_value
    return (value("notifications_total", {"channel": "mail", "outcome": "failed"}) or 0.0,
            value("notifications_total", {"channel": "mail", "outcome": "sent"}) or 0.0)


def test_a_message_that_keeps_failing_is_given_up_after_six_attempts(make_worker, clock):
    failing = make_worker(free_port())
    consume(failing, samples.event(WELCOME))
    for pause in (5, 30, 120, 600):
        clock.advance(seconds=pause - 1)
        assert failing.delivery.deliver_due() == 0
        [message] = stored_messages(failing)
        assert message.status == "queued"
        clock.advance(seconds=1)
        failing.delivery.deliver_due()
    clock.advance(hours=1)
    failing.delivery.deliver_due()
    [message] = stored_messages(failing)
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    clock.advance(days=1)
    failing.delivery.deliver_due()
    assert stored_messages(failing)[0].attempts == MAX_ATTEMPTS


@pytest.mark.parametrize("reachable", [True, False])
def test_no_secret_reaches_a_log_line(make_worker, smtp_sink, clock, caplog, reachable):
    caplog.set_level(logging.DEBUG)
    parts = make_worker(smtp_sink.port if reachable else free_port())
    for event_type in samples.DATA:
        consume(parts, samples.event(event_type))
    clock.advance(seconds=5)
    parts.delivery.deliver_due()
    formatter = JsonFormatter("notifier")
    ours = [record for record in caplog.records if record.name != "mail.log"]  # mail.log: the test SMTP server
    lines = "\n".join(formatter.format(record) for record in ours)
    assert '"message": "message queued"' in lines
    assert '"message": "message sent"' in lines, "the SMS goes to its file either way"
    assert ('"message": "message not sent"' in lines) != reachable
    assert not [secret for secret in samples.SECRETS if secret in lines]


def test_sms_webhook_that_cannot_be_reached_is_a_failure_to_retry_without_the_text():
    provider = WebhookSmsProvider(f"http://127.0.0.1:{free_port()}/sms", timeout=2)
    with pytest.raises(SmsSendFailed) as failure:
        provider.send("13800138000", "code 604219", "message-1")
    assert "604219" not in str(failure.value)
