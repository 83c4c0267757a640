"""identity's flows beyond the foundation story, through the gateway: signing-key rotation seen by the
other processes, refresh-token rotation and reuse, invitations from the mailed link, SMS-code pacing."""
from __future__ import annotations

import re
import uuid

import jwt
import pytest

from shared.testkit import body_text, wait_until
from tests.e2e.steps import create_tenant, new_phone

pytestmark = pytest.mark.e2e


def test_a_rotated_signing_key_keeps_old_sessions_and_signs_new_ones(suite, admin_token):
    admin = suite.api(admin_token)
    old_kid = jwt.get_unverified_header(admin_token)["kid"]
    rotated = admin.post("/identity/v1/signing-keys/rotate")
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    kids = {key["kid"] for key in suite.api().get("/identity/v1/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_kid} <= kids

    def signed_with_new_key() -> str | None:
        token = suite.api().login(*suite.admin_credentials)["access_token"]
        return token if jwt.get_unverified_header(token)["kid"] == new_kid else None

    fresh = wait_until(signed_with_new_key, timeout=30, interval=1, what="tokens signed with the new key")
    assert suite.api(fresh).get("/identity/v1/tenants").status_code == 200
    assert admin.get("/identity/v1/me").status_code == 200


def test_a_reused_refresh_token_ends_the_session(suite, admin_token):
    tenant = create_tenant(suite, admin_token)
    anonymous = suite.api()
    renewed = anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": tenant.refresh_token})
    assert renewed.status_code == 200, renewed.text
    assert suite.api(renewed.json()["access_token"]).get(f"/identity/v1/tenants/{tenant.tenant_id}").status_code == 200
    reused = anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": tenant.refresh_token})
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_token_reused"
    successor = anonymous.post("/identity/v1/auth/refresh", json={"refresh_token": renewed.json()["refresh_token"]})
    assert successor.status_code == 401


def test_a_company_user_is_invited_by_mail_and_sees_only_its_company(suite, admin_token):
    admin = suite.api(admin_token)
    company = admin.post("/identity/v1/organisations", json={"kind": "company", "name": f"客户公司{uuid.uuid4().hex[:4]}"}).json()
    other = admin.post("/identity/v1/organisations", json={"kind": "company", "name": "别家公司"}).json()
    email = f"buyer-{uuid.uuid4().hex[:8]}@company.test"
    invited = admin.post(
        "/identity/v1/users", json={"org_id": company["id"], "email": email, "phone": new_phone(), "name": "采购", "roles": ["customer"]}
    )
    assert invited.status_code == 201, invited.text
    token = re.search(r"token=([A-Za-z0-9_\-]+)", body_text(suite.smtp.wait_for(email)[0])).group(1)
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": token, "password": "Buyer-Passw0rd-1"})
    assert accepted.status_code == 200, accepted.text
    again = suite.api().post("/identity/v1/invitations/accept", json={"token": token, "password": "Buyer-Passw0rd-2"})
    assert again.status_code == 410
    buyer = suite.api(suite.api().login(email, "Buyer-Passw0rd-1")["access_token"])
    assert buyer.get(f"/identity/v1/organisations/{company['id']}").status_code == 200
    assert buyer.get(f"/identity/v1/organisations/{other['id']}").status_code == 404


def test_sms_codes_are_paced_with_retry_after(suite, admin_token):
    tenant = create_tenant(suite, admin_token)
    session = suite.api(tenant.access_token)
    limited = session.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"})
    assert limited.status_code == 429 and limited.json()["code"] == "sms_code_rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_staff_actions_land_in_the_audit_log(suite, admin_token):
    tenant = create_tenant(suite, admin_token)
    entries = suite.api(admin_token).get("/identity/v1/audit-log", params={"action": "tenant.created", "target_id": tenant.tenant_id})
    assert entries.status_code == 200 and entries.json()["total"] == 1
