"""SMS traffic end to end (ENT-7): each SMS the notifier sends for a tenant draws one use of the tenant's
SMS pool in entitlements, with the notifier's service account and the message id as Idempotency-Key.

A tenant whose first admin changed the initial password before it had any SMS traffic (that code went
out anyway, not billed) buys 10 SMS; a second admin of the tenant asks for an SMS code through the
gateway → the pool holds 9, the ledger names the message, the notifier's log says billed.
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from shared.testkit import body_text, wait_until
from tests.e2e.steps import INVITATION_TOKEN_RE, activate_order, create_tenant, deliver_order, new_phone

pytestmark = pytest.mark.e2e

SMS_PRODUCT = "SMS"  # the notifier's default NOTIFIER_SMS_PRODUCT_CODE


def days_from_today(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def sms_product(platform) -> None:
    created = platform.post("/entitlements/v1/products", json={
        "code": SMS_PRODUCT, "name": "短信流量", "kind": "traffic", "traffic_category": "sms"})
    assert created.status_code in (201, 409), created.text


def second_admin(suite, admin_token: str, tenant_id: str) -> tuple[str, str]:
    """Another tenant admin, invited and activated without any SMS code; returns (access token, phone)."""
    email, phone = f"second-admin-{uuid.uuid4().hex[:8]}@tenant.test", new_phone()
    invited = suite.api(admin_token).post("/identity/v1/users", json={
        "org_id": tenant_id, "email": email, "phone": phone, "name": "第二管理员", "roles": ["tenant_admin"]})
    assert invited.status_code == 201, invited.text
    token = INVITATION_TOKEN_RE.search(body_text(suite.smtp.wait_for(email)[0])).group(1)
    password = "Second-Passw0rd-" + uuid.uuid4().hex[:6]
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": token, "password": password})
    assert accepted.status_code in (200, 201), accepted.text
    return suite.api().login(email, password)["access_token"], phone


def sms_messages_to(staff, phone: str) -> list[dict]:
    response = staff.get("/notifier/v1/messages", params={"recipient": phone, "channel": "sms"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_an_sms_code_of_a_tenant_admin_draws_one_sms_from_the_tenants_pool(suite, admin_token):
    staff = suite.api(admin_token)
    sms_product(staff)
    first = create_tenant(suite, admin_token)
    [unbilled] = wait_until(lambda: [m for m in sms_messages_to(staff, first.phone) if m["traffic"]],
                            what="the first admin's SMS code in the log")
    assert (unbilled["status"], unbilled["tenant_id"]) == ("sent", first.tenant_id)
    assert (unbilled["traffic"], unbilled["traffic_note"]) == ("not_billed", "insufficient_quota")

    order = deliver_order(staff, first.tenant_id, [
        {"product_code": SMS_PRODUCT, "quantity": 10, "valid_from": days_from_today(-10), "valid_to": days_from_today(300)}])
    activate_order(suite, first, order)
    tenant = suite.api(first.access_token)

    token, phone = second_admin(suite, admin_token, first.tenant_id)
    requested = suite.api(token).post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"})
    assert requested.status_code == 201, requested.text
    wait_until(lambda: suite.sms_to(phone), what="the second admin's SMS code")

    [billed] = wait_until(lambda: [m for m in sms_messages_to(staff, phone) if m["traffic"]], what="the billed SMS in the log")
    assert (billed["status"], billed["traffic"], billed["traffic_note"]) == ("sent", "billed", None)
    ledger = tenant.get("/entitlements/v1/usage", params={"product_code": SMS_PRODUCT}).json()["items"]
    assert [(entry["tax_id"], entry["units"], entry["reference"]) for entry in ledger] == [(None, 1, billed["id"])]
    board = tenant.get("/entitlements/v1/dashboard").json()
    [pool] = [t for t in board["traffic"] if t["product_code"] == SMS_PRODUCT]
    assert (pool["balance"], pool["consumed"]) == (9, 1)

    resent = staff.post(f"/notifier/v1/messages/{billed['id']}/resend")
    assert resent.status_code == 202, resent.text
    wait_until(lambda: len(suite.sms_to(phone)) == 2, what="the resent SMS")
    assert len(tenant.get("/entitlements/v1/usage", params={"product_code": SMS_PRODUCT}).json()["items"]) == 1
