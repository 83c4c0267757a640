"""The foundation's end-to-end story, through the gateway, on embedded defaults and on RabbitMQ + PostgreSQL.

Platform admin logs in → creates a tenant → the welcome mail reaches a real SMTP server → the first
login must change its password → the SMS code arrives → the change works → a disabled admin cannot
log in → a tenant cannot read another tenant → forged tokens are refused → repeated bad logins are
throttled.
"""
from __future__ import annotations

import base64
import json
import re
import uuid

import pytest

from shared.testkit import TokenFactory, body_text, wait_until
from tests.e2e.steps import create_tenant, new_phone

pytestmark = pytest.mark.e2e


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_tenant_onboarding_password_change_and_access_rules(suite, admin_token):
    admin = suite.api(admin_token)
    email = f"boss-{uuid.uuid4().hex[:8]}@tenant.test"
    phone = new_phone()
    created = admin.post("/identity/v1/tenants", json={"name": "苏州测试科技有限公司", "admin_email": email, "admin_phone": phone})
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert tenant["admin"]["username"] == email

    mail = suite.smtp.wait_for(email)[0]
    text = body_text(mail)
    assert email in text
    password = re.search(r"(?:密码|[Pp]assword)\s*[:：]\s*(\S+)", text).group(1)

    first = suite.api().login(email, password)
    assert first["must_change_password"] is True
    limited = suite.api(first["access_token"])
    assert limited.get(f"/identity/v1/tenants/{tenant['id']}").json()["code"] == "password_change_required"

    assert limited.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}).status_code in (200, 201, 202)
    sms = wait_until(lambda: suite.sms_to(phone), what="the SMS code")
    code = re.search(r"\b(\d{6})\b", sms[-1]).group(1)
    new_password = "Neue-Passw0rt-2026"
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = limited.post(
        "/identity/v1/auth/password", json={"old_password": password, "new_password": new_password, "sms_code": wrong_code}
    )
    assert wrong.status_code in (400, 422) and wrong.headers["Content-Type"].startswith("application/problem+json")
    changed = limited.post("/identity/v1/auth/password", json={"old_password": password, "new_password": new_password, "sms_code": code})
    assert changed.status_code in (200, 204), changed.text

    session = suite.api().login(email, new_password)
    assert session["must_change_password"] is False
    tenant_admin = suite.api(session["access_token"])
    assert tenant_admin.get(f"/identity/v1/tenants/{tenant['id']}").json()["name"] == "苏州测试科技有限公司"

    other = create_tenant(suite, admin_token)
    hidden = tenant_admin.get(f"/identity/v1/tenants/{other.tenant_id}")
    assert hidden.status_code == 404
    assert hidden.headers["Content-Type"].startswith("application/problem+json")

    last = admin.post(f"/identity/v1/tenants/{tenant['id']}/admins/{tenant['admin']['id']}/disable")
    assert last.status_code == 409 and last.json()["code"] == "last_admin"
    second = create_tenant(suite, admin_token)
    disabled = admin.post(f"/identity/v1/tenants/{second.tenant_id}/admins/{second.admin_id}/disable")
    assert disabled.status_code == 409  # still its only admin
    assert suite.api().post("/identity/v1/auth/login", json={"username": email, "password": "wrong-Passw0rd!"}).status_code == 401


def test_disabled_admin_cannot_log_in(suite, admin_token):
    tenant = create_tenant(suite, admin_token)
    admin = suite.api(admin_token)
    extra_email = f"second-{uuid.uuid4().hex[:8]}@tenant.test"
    invited = admin.post(
        "/identity/v1/users",
        json={"org_id": tenant.tenant_id, "email": extra_email, "phone": new_phone(), "name": "第二管理员", "roles": ["tenant_admin"]},
    )
    assert invited.status_code == 201, invited.text
    link = re.search(r"token=([A-Za-z0-9_\-\.]+)", body_text(suite.smtp.wait_for(extra_email)[0])).group(1)
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": link, "password": "Second-Passw0rd-1"})
    assert accepted.status_code in (200, 201, 204), accepted.text
    assert suite.api().login(extra_email, "Second-Passw0rd-1")["access_token"]

    assert admin.post(f"/identity/v1/tenants/{tenant.tenant_id}/admins/{tenant.admin_id}/disable").status_code in (200, 204)
    refused = suite.api().post("/identity/v1/auth/login", json={"username": tenant.email, "password": tenant.password})
    assert refused.status_code in (401, 403)
    refreshed = suite.api().post("/identity/v1/auth/refresh", json={"refresh_token": tenant.refresh_token})
    assert refreshed.status_code == 401


def test_forged_and_unsigned_tokens_are_refused(suite, admin_token):
    claims = TokenFactory().token(org_kind="platform", roles=("platform_admin",))
    header, payload, _sig = claims.split(".")
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    for token in (claims, unsigned, f"{header}.{payload}.AAAA", "garbage"):
        response = suite.api(token).get("/identity/v1/tenants/whatever")
        assert response.status_code == 401, token
        assert response.headers["Content-Type"].startswith("application/problem+json")


def test_repeated_bad_logins_are_throttled(suite, admin_token):
    tenant = create_tenant(suite, admin_token)
    statuses = [
        suite.api().post("/identity/v1/auth/login", json={"username": tenant.email, "password": f"bad-{i}"}).status_code
        for i in range(15)
    ]
    assert statuses[0] == 401
    assert 429 in statuses
    throttled = suite.api().post("/identity/v1/auth/login", json={"username": tenant.email, "password": tenant.password})
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "too_many_attempts"
