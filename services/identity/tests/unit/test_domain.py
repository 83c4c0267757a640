"""The pure rules: password policy, initial passwords, SMS-code pacing, roles per organisation kind."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.identity.domain import organisations, passwords, sms_codes

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_the_policy_wants_length_three_classes_and_no_username():
    assert passwords.policy_violations("Good-Passw0rd", "li@corp.test") == []
    assert passwords.policy_violations("Sh0rt!", "li@corp.test")
    assert passwords.policy_violations("onlylowercaseletters1", "li@corp.test")
    assert passwords.policy_violations("Xx-li@corp.test-1", "li@corp.test") == ["must not contain the username"]
    assert passwords.policy_violations("A1-" + "x" * 130, "li@corp.test") == ["must have at most 128 characters"]


def test_initial_passwords_satisfy_the_policy_and_differ():
    generated = {passwords.initial_password() for _ in range(50)}
    assert len(generated) == 50
    assert all(passwords.policy_violations(p, "someone@corp.test") == [] for p in generated)


def test_sms_codes_wait_a_minute_between_requests_and_five_an_hour():
    assert sms_codes.retry_after(NOW, []) is None
    assert sms_codes.retry_after(NOW, [NOW - timedelta(seconds=20)]) == 40
    four = [NOW - timedelta(minutes=m) for m in (50, 40, 30, 20)]
    assert sms_codes.retry_after(NOW, four) is None
    five = [*four, NOW - timedelta(minutes=10)]
    assert sms_codes.retry_after(NOW, five) == 600


def test_codes_have_six_digits():
    assert all(len(c) == 6 and c.isdigit() for c in (sms_codes.new_code() for _ in range(100)))


def test_roles_fit_their_organisation_kind():
    assert organisations.roles_not_fitting("tenant", ["tenant_admin"]) == []
    assert organisations.roles_not_fitting("dealer", ["dealer_user", "reseller_admin"]) == ["reseller_admin"]
    assert organisations.parent_fits("dealer", "reseller") and not organisations.parent_fits("dealer", None)
