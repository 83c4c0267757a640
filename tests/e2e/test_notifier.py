"""The notifier end to end, through the gateway: the welcome mail is logged masked and can be resent,
an organisation's language preference picks the SMS language, only platform staff read the log."""
from __future__ import annotations

import uuid

import pytest

from shared.testkit import body_text, wait_until
from tests.e2e.steps import PASSWORD_RE, SMS_CODE_RE, new_phone

pytestmark = pytest.mark.e2e


def _messages_to(staff, address: str) -> list[dict]:
    response = staff.get("/notifier/v1/messages", params={"recipient": address})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_welcome_mail_is_logged_masked_resent_on_request_and_sms_follows_the_tenant_language(suite, admin_token):
    staff = suite.api(admin_token)
    email = f"notify-{uuid.uuid4().hex[:10]}@tenant.test"
    phone = new_phone()
    created = staff.post("/identity/v1/tenants", json={"name": "通知测试有限公司", "admin_email": email, "admin_phone": phone})
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]

    welcome = body_text(suite.smtp.wait_for(email)[0])
    initial_password = PASSWORD_RE.search(welcome).group(1)
    assert "已开通发票云租户权益查看平台" in welcome

    [logged] = wait_until(lambda: [m for m in _messages_to(staff, email) if m["status"] == "sent"], what="the sent welcome mail")
    assert logged["event_type"] == "identity.tenant.created.v1"
    assert initial_password not in logged["body"] and "******" in logged["body"]

    resent = staff.post(f"/notifier/v1/messages/{logged['id']}/resend")
    assert resent.status_code == 202, resent.text
    assert resent.json()["content"] == "masked"
    second = body_text(suite.smtp.wait_for(email, count=2)[1])
    assert "******" in second and initial_password not in second

    preference = staff.put(f"/notifier/v1/preferences/{tenant_id}", json={"language": "en", "emails": []})
    assert preference.status_code == 200, preference.text
    first_login = suite.api().login(email, initial_password)
    tenant_admin = suite.api(first_login["access_token"])
    assert tenant_admin.get("/notifier/v1/messages").status_code == 403
    assert tenant_admin.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}).status_code in (200, 201, 202)
    [sms] = wait_until(lambda: suite.sms_to(phone), what="the SMS code")
    assert sms.startswith("[Invoice Cloud] Your code for changing your password is ")
    assert SMS_CODE_RE.search(sms)
    [logged_sms] = wait_until(lambda: _messages_to(staff, phone), what="the SMS in the log")
    assert (logged_sms["channel"], logged_sms["language"]) == ("sms", "en")
    assert SMS_CODE_RE.search(sms).group(1) not in logged_sms["body"]
