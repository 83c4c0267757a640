"""Settings from the environment and the key that seals messages' real text."""
from __future__ import annotations

import base64
import os
import stat

import pytest

from services.notifier.adapters.secret_box import SealedContentUnreadable, SecretBox, key_from_file, key_from_setting
from services.notifier.config import DEFAULT_SENDER, DeliverySettings


def test_defaults_write_mail_and_sms_to_files(monkeypatch):
    for name in ("SMTP_HOST", "SMS_PROVIDER", "NOTIFIER_FROM", "NOTIFIER_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = DeliverySettings.from_env()
    assert (settings.smtp, settings.sms_provider, settings.sender, settings.secret_key) == (None, "file", DEFAULT_SENDER, None)


def test_smtp_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "mail.test")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_USERNAME", "bot")
    monkeypatch.setenv("SMTP_PASSWORD", "pw")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    smtp = DeliverySettings.from_env().smtp
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.starttls) == ("mail.test", 2525, "bot", "pw", True)
    assert "pw" not in repr(smtp)


@pytest.mark.parametrize(("provider", "webhook"), [("carrier-pigeon", None), ("webhook", None)])
def test_an_unusable_sms_provider_setting_stops_the_start(monkeypatch, provider, webhook):
    monkeypatch.setenv("SMS_PROVIDER", provider)
    monkeypatch.delenv("SMS_WEBHOOK_URL", raising=False)
    with pytest.raises(ValueError, match="SMS_"):
        DeliverySettings.from_env()


def test_key_file_is_created_once_private_and_reused(tmp_path):
    path = tmp_path / "notifier" / "secret.key"
    first = key_from_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert key_from_file(path) == first
    assert len(first) == 32
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]


def test_configured_key_is_base64_of_32_bytes_or_a_passphrase():
    raw = bytes(range(32))
    assert key_from_setting(base64.b64encode(raw).decode()) == raw
    assert key_from_setting(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert len(key_from_setting("correct horse battery staple")) == 32


def test_sealed_text_opens_only_with_its_key_and_for_its_message():
    box = SecretBox(key_from_setting("k1"))
    nonce, ciphertext = box.seal("初始密码：X", bound_to="message-1")
    assert box.open(nonce, ciphertext, bound_to="message-1") == "初始密码：X"
    with pytest.raises(SealedContentUnreadable):
        box.open(nonce, ciphertext, bound_to="message-2")
    with pytest.raises(SealedContentUnreadable):
        SecretBox(key_from_setting("k2")).open(nonce, ciphertext, bound_to="message-1")
