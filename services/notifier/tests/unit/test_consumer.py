"""The consumer stores the messages an event calls for: once, masked in the log, sealed for sending."""
from __future__ import annotations

import pytest

from services.notifier.adapters import message_store
from services.notifier.domain.masking import MASK
from services.notifier.tests import samples
from services.notifier.tests.helpers import consume, count_messages, sealed_contents, stored_messages
from shared.testkit import free_port

WELCOME = "identity.tenant.created.v1"


@pytest.fixture()
def quiet_worker(make_worker):
    """A worker whose immediate send fails (nothing listens on its SMTP port), so messages stay queued."""
    return make_worker(free_port())


def test_welcome_event_stores_one_queued_mail_with_the_password_masked(quiet_worker):
    event = samples.event(WELCOME)
    consume(quiet_worker, event)
    [message] = stored_messages(quiet_worker)
    assert (message.event_id, message.channel, message.recipient) == (event.id, "mail", "admin@acme.test")
    assert (message.template, message.language, message.status) == (WELCOME, "zh-CN", "queued")
    assert message.org_id == samples.TENANT
    assert message.has_secrets is True
    assert f"初始密码：{MASK}" in message.body
    assert samples.INITIAL_PASSWORD not in message.body + (message.subject or "")


def test_the_real_text_is_kept_only_encrypted(quiet_worker):
    consume(quiet_worker, samples.event(WELCOME))
    [content] = sealed_contents(quiet_worker)
    assert samples.INITIAL_PASSWORD.encode() not in content.ciphertext
    assert samples.INITIAL_PASSWORD in quiet_worker.box.open(content.nonce, content.ciphertext, bound_to=content.message_id)


def test_the_same_event_delivered_twice_stores_one_message(quiet_worker):
    event = samples.event(WELCOME)
    consume(quiet_worker, event)
    consume(quiet_worker, event)
    assert count_messages(quiet_worker) == 1
    assert len(sealed_contents(quiet_worker)) == 1


def test_another_event_of_the_same_kind_is_another_message(quiet_worker):
    consume(quiet_worker, samples.event(WELCOME))
    consume(quiet_worker, samples.event(WELCOME))
    assert count_messages(quiet_worker) == 2


def test_recipients_language_wins_over_the_organisations(quiet_worker):
    _set_preference(quiet_worker, samples.TENANT, "zh-CN", [])
    consume(quiet_worker, samples.event(WELCOME, recipient=samples.recipient(language="en")))
    [message] = stored_messages(quiet_worker)
    assert message.language == "en"
    assert message.subject.startswith("Your Invoice Cloud tenant portal account")


def test_organisation_language_applies_when_the_event_names_none(quiet_worker):
    _set_preference(quiet_worker, samples.COMPANY, "en", [])
    consume(quiet_worker, samples.event("billing.order.paid.v1"))
    [message] = stored_messages(quiet_worker)
    assert message.language == "en"
    assert "Amount paid: 12,345.00 CNY" in message.body


def test_envelope_tenant_finds_the_preference_when_the_data_names_no_organisation(quiet_worker):
    _set_preference(quiet_worker, samples.TENANT, "en", [])
    consume(quiet_worker, samples.event("identity.sms_code.requested.v1", tenant_id=samples.TENANT))
    [message] = stored_messages(quiet_worker)
    assert (message.channel, message.recipient, message.language) == ("sms", "13800138000", "en")
    assert message.body.startswith("[Invoice Cloud] Your code for changing your password is ******")


def test_notices_go_to_the_organisations_extra_addresses_too(quiet_worker):
    _set_preference(quiet_worker, samples.COMPANY, None, ["ops@acme.test"])
    consume(quiet_worker, samples.event("billing.topup.approved.v1"))
    assert [m.recipient for m in stored_messages(quiet_worker)] == ["finance@acme.test", "ops@acme.test"]


def test_secret_bearing_mails_never_go_to_extra_addresses(quiet_worker):
    _set_preference(quiet_worker, samples.TENANT, None, ["ops@acme.test"])
    consume(quiet_worker, samples.event("entitlements.order.delivered.v1"))
    assert [m.recipient for m in stored_messages(quiet_worker)] == ["admin@acme.test"]


def test_an_event_naming_no_usable_recipient_is_kept_failed_and_sends_nothing(quiet_worker):
    consume(quiet_worker, samples.event("marketplace.trial.requested.v1", recipient={"email": "nobody", "name": "x"}))
    [message] = stored_messages(quiet_worker)
    assert (message.status, message.recipient, message.next_attempt_at) == ("failed", "", None)
    assert sealed_contents(quiet_worker) == []


def _set_preference(parts, org_id, language, emails):
    with parts.context.session_factory() as session:
        message_store.save_organisation_preference(session, org_id, language, emails, parts.context.clock.now())
        session.commit()
