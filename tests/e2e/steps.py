"""Reusable steps of the end-to-end stories (through the gateway only)."""
from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass

from shared.testkit import body_text, wait_until

PASSWORD_RE = re.compile(r"(?:密码|[Pp]assword)\s*[:：]\s*(\S+)")
SMS_CODE_RE = re.compile(r"\b(\d{6})\b")


def new_phone() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


@dataclass
class TenantAdmin:
    tenant_id: str
    admin_id: str
    email: str
    phone: str
    password: str
    access_token: str
    refresh_token: str


def change_initial_password(suite, email: str, phone: str, initial_password: str, new_password: str) -> dict:
    """First login, SMS code, password change; returns the login response with the new password."""
    first = suite.api().login(email, initial_password)
    limited = suite.api(first["access_token"])
    requested = limited.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"})
    assert requested.status_code in (200, 201, 202), requested.text
    sms = wait_until(lambda: suite.sms_to(phone), what=f"the SMS code to {phone}")
    code = SMS_CODE_RE.search(sms[-1]).group(1)
    changed = limited.post(
        "/identity/v1/auth/password", json={"old_password": initial_password, "new_password": new_password, "sms_code": code}
    )
    assert changed.status_code in (200, 204), changed.text
    return suite.api().login(email, new_password)


def create_tenant(suite, admin_token: str, name: str | None = None) -> TenantAdmin:
    """A new tenant whose first admin has logged in and changed the initial password."""
    email = f"admin-{uuid.uuid4().hex[:10]}@tenant.test"
    phone = new_phone()
    created = suite.api(admin_token).post(
        "/identity/v1/tenants",
        json={"name": name or f"测试租户{uuid.uuid4().hex[:6]}有限公司", "admin_email": email, "admin_phone": phone},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    initial = PASSWORD_RE.search(body_text(suite.smtp.wait_for(email)[0])).group(1)
    password = "Tenant-Passw0rd-" + uuid.uuid4().hex[:6]
    session = change_initial_password(suite, email, phone, initial, password)
    return TenantAdmin(body["id"], body["admin"]["id"], email, phone, password, session["access_token"], session["refresh_token"])
