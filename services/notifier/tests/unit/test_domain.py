"""Pure rules: secret masking, language choice, recipients, retry pauses."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifier.domain.catalogue import CATALOGUE
from services.notifier.domain.delivery import MAX_ATTEMPTS, next_attempt_after_failure
from services.notifier.domain.language import choose_language, supported_language
from services.notifier.domain.masking import MASK, has_secrets, mask_link, masked
from services.notifier.domain.recipients import addresses_for, valid_phone
from services.notifier.tests import samples


def test_secret_fields_are_masked_wherever_they_are_nested():
    data = {
        "initial_password": "p@ss",
        "code": "123456",
        "name": "Acme",
        "client": {"client_id": "cli_1", "client_secret": "s3cr3t"},
        "items": [{"operation_key": "KEY-1", "quantity": 2}],
    }
    assert masked(data) == {
        "initial_password": MASK,
        "code": MASK,
        "name": "Acme",
        "client": {"client_id": "cli_1", "client_secret": MASK},
        "items": [{"operation_key": MASK, "quantity": 2}],
    }
    assert data["code"] == "123456", "the event's own data is left untouched"


def test_only_the_token_part_of_an_activation_link_is_masked():
    assert mask_link("https://p.test/activate?token=abcDEF123&lang=en") == f"https://p.test/activate?token={MASK}&lang={MASK}"
    assert mask_link("https://p.test/reset/rst_9sLq2VbX7nC4mZ8pQ1wE") == f"https://p.test/reset/{MASK}"
    assert mask_link("https://p.test/orders/activate") == "https://p.test/orders/activate"
    assert mask_link("https://p.test/a#k=secretvalue") == f"https://p.test/a#{MASK}"


def test_every_sample_secret_disappears_from_masked_data():
    for event_type, data in samples.DATA.items():
        text = repr(masked(data))
        assert not any(secret in text for secret in samples.SECRETS), event_type


def test_events_flagged_as_carrying_secrets_are_exactly_those_with_secret_data():
    for event_type, notification in CATALOGUE.items():
        assert has_secrets(samples.DATA[event_type]) == notification.carries_secret, event_type


def test_language_comes_from_the_recipient_then_the_organisation_then_chinese():
    assert choose_language("en", "zh-CN") == "en"
    assert choose_language(None, "en") == "en"
    assert choose_language("fr", "en-US") == "en"
    assert choose_language(None, None) == "zh-CN"
    assert supported_language("zh_cn") == "zh-CN"
    assert supported_language(42) is None


def test_notices_also_go_to_the_organisations_addresses_once_each():
    notice = CATALOGUE["billing.order.paid.v1"]
    data = samples.DATA["billing.order.paid.v1"]
    assert addresses_for(notice, data, ["ops@acme.test", "FINANCE@acme.test", "not-an-address"]) == [
        "finance@acme.test",
        "ops@acme.test",
    ]


def test_mails_carrying_secrets_go_only_to_the_person_named():
    welcome = CATALOGUE["identity.tenant.created.v1"]
    assert addresses_for(welcome, samples.DATA["identity.tenant.created.v1"], ["ops@acme.test"]) == ["admin@acme.test"]


def test_contact_fields_stand_in_when_an_event_has_no_recipient_object():
    welcome = CATALOGUE["identity.tenant.created.v1"]
    data = {**samples.DATA["identity.tenant.created.v1"], "recipient": None}
    assert addresses_for(welcome, data, []) == ["admin@acme.test"]
    assert addresses_for(welcome, {"recipient": {"email": "bad address\r\nBcc: x@y.test"}}, []) == []


def test_sms_goes_to_the_recipients_phone_in_a_normal_form():
    sms = CATALOGUE["identity.sms_code.requested.v1"]
    assert addresses_for(sms, {"recipient": {"phone": "+86 138-0013-8000"}}, ["ops@acme.test"]) == ["+8613800138000"]
    assert valid_phone("12") is None


def test_failed_sends_pause_longer_each_time_and_are_given_up_after_six_attempts():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    pauses = [next_attempt_after_failure(n, now) for n in range(1, MAX_ATTEMPTS + 1)]
    assert MAX_ATTEMPTS == 6
    assert [p - now for p in pauses[:-1]] == [
        timedelta(seconds=5),
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
    ]
    assert pauses[-1] is None


def test_notices_also_go_to_the_addresses_the_event_lists():
    notice = CATALOGUE["billing.device.expiring.v1"]
    data = {**samples.DATA["billing.device.expiring.v1"], "emails": ["finance@acme.test", "it@acme.test"]}
    assert addresses_for(notice, data, ["ops@acme.test"]) == ["finance@acme.test", "it@acme.test", "ops@acme.test"]
    secret = CATALOGUE["marketplace.credit.code_requested.v1"]
    data = {**samples.DATA["marketplace.credit.code_requested.v1"], "emails": ["it@acme.test"]}
    assert addresses_for(secret, data, []) == ["boss@reseller.test"]
