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


def new_tax_id() -> str:
    """A random unified social credit code with valid check characters (GB 32100-2015)."""
    from shared.tax_ids import organisation_code_check_character, uscc_check_character

    organisation = "MA" + "".join(random.choices("0123456789", k=6))
    first_17 = f"91320500{organisation}{organisation_code_check_character(organisation)}"
    return first_17 + uscc_check_character(first_17)


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


INVITATION_TOKEN_RE = re.compile(r"token=([A-Za-z0-9_\-]+)")


def create_organisation(suite, admin_token: str, kind: str, name: str, parent_id: str | None = None) -> str:
    """An organisation created by the platform admin (companies with subsidiaries, dealers)."""
    created = suite.api(admin_token).post("/identity/v1/organisations", json={"kind": kind, "name": name, "parent_id": parent_id})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def invite_and_log_in(suite, admin_token: str, org_id: str, roles: list[str]) -> str:
    """Invite a user, accept the mailed invitation with a password, log in; returns the access token."""
    email = f"{roles[0]}-{uuid.uuid4().hex[:8]}@users.test"
    invited = suite.api(admin_token).post(
        "/identity/v1/users", json={"org_id": org_id, "email": email, "phone": new_phone(), "name": roles[0], "roles": roles}
    )
    assert invited.status_code == 201, invited.text
    token = INVITATION_TOKEN_RE.search(body_text(suite.smtp.wait_for(email)[0])).group(1)
    password = "User-Passw0rd-" + uuid.uuid4().hex[:6]
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": token, "password": password})
    assert accepted.status_code in (200, 201, 204), accepted.text
    return suite.api().login(email, password)["access_token"]


OPERATION_KEY_RE = re.compile(r"(?:操作密钥|[Oo]peration key)\s*[:：]\s*(\S+)")


def deliver_order(platform, tenant_id: str, lines: list[dict]) -> dict:
    """Delivers an entitlements order (retrying while entitlements has not yet heard of the new tenant)."""

    def delivered() -> dict | None:
        response = platform.post("/entitlements/v1/orders", json={"tenant_id": tenant_id, "lines": lines})
        return response.json() if response.status_code == 201 else None

    return wait_until(delivered, 20, interval=0.5, what="the order to be delivered")


def operation_key_from_mail(suite, email: str, order_no: str) -> str:
    """The operation key of an order, from the activation mail the tenant contact received."""

    def mailed() -> str | None:
        for message in suite.smtp.to(email):
            text = body_text(message)
            if order_no in text and OPERATION_KEY_RE.search(text):
                return OPERATION_KEY_RE.search(text).group(1)
        return None

    return wait_until(mailed, 20, what=f"the activation mail of {order_no}")


def activate_order(suite, tenant: TenantAdmin, order: dict, erp: str = "galaxy", deployment: str = "public_cloud") -> dict:
    """Activates a delivered order with the operation key from its mail, as the tenant admin."""
    key = operation_key_from_mail(suite, tenant.email, order["order_no"])
    activated = suite.api(tenant.access_token).post(
        "/entitlements/v1/orders/activate", json={"operation_key": key, "erp": erp, "deployment": deployment}
    )
    assert activated.status_code == 200, activated.text
    return activated.json()
