"""The HTTP API: platform staff list, read and resend messages; organisation admins set preferences."""
from __future__ import annotations

from email import message_from_bytes

import pytest
from sqlalchemy import select

from services.notifier.adapters.orm import platform
from services.notifier.service_layer.delivery import Channels
from services.notifier.tests import samples
from services.notifier.tests.helpers import RefusingSmsProvider, consume, stored_messages
from shared.testkit import body_text, free_port

WELCOME = "identity.tenant.created.v1"


@pytest.fixture()
def staff(tokens):
    return tokens.headers(sub="staff-1", org_id="platform", org_kind="platform", roles=("support",))


@pytest.fixture()
def tenant_admin(tokens):
    return tokens.headers(sub="admin-1", org_id=samples.TENANT, org_kind="tenant", roles=("tenant_admin",))


@pytest.fixture()
def log(make_worker):
    """Three messages: a sent welcome mail, a queued SMS (its provider down), a sent receipt."""
    parts = make_worker(None)
    consume(parts, samples.event(WELCOME))
    consume(parts, samples.event("billing.order.paid.v1"))
    failing = make_worker(free_port())
    failing.delivery.channels = Channels(failing.delivery.channels.mail, RefusingSmsProvider())
    consume(failing, samples.event("identity.sms_code.requested.v1"))
    return parts


def test_staff_list_messages_newest_first_with_masked_bodies(client, staff, log):
    response = client.get("/notifier/v1/messages", headers=staff)
    assert response.status_code == 200
    page = response.json
    assert (page["total"], page["page"], page["page_size"]) == (3, 1, 20)
    welcome = next(m for m in page["items"] if m["event_type"] == WELCOME)
    assert welcome["status"] == "sent" and welcome["has_secrets"] is True
    assert samples.INITIAL_PASSWORD not in response.get_data(as_text=True)
    assert samples.SMS_CODE not in response.get_data(as_text=True)
    assert welcome["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("recipient=ACME.test", {"admin@acme.test", "finance@acme.test"}),
        ("recipient=finance", {"finance@acme.test"}),
        ("recipient=%25", set()),
        ("status=queued", {"13800138000"}),
        ("channel=sms", {"13800138000"}),
        (f"event_type={WELCOME}", {"admin@acme.test"}),
    ],
)
def test_staff_search_messages(client, staff, log, query, expected):
    response = client.get(f"/notifier/v1/messages?{query}", headers=staff)
    assert response.status_code == 200
    assert {m["recipient"] for m in response.json["items"]} == expected


def test_list_is_paged(client, staff, log):
    page = client.get("/notifier/v1/messages?page=2&page_size=2", headers=staff).json
    assert (page["total"], len(page["items"]), page["page"]) == (3, 1, 2)


@pytest.mark.parametrize("query", ["status=lost", "page_size=1000", "page=0", "channel=fax", "recipient=" + "x" * 300])
def test_bad_filters_are_422(client, staff, query):
    response = client.get(f"/notifier/v1/messages?{query}", headers=staff)
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"


def test_only_platform_staff_see_the_log(client, tokens, tenant_admin, log):
    assert client.get("/notifier/v1/messages").status_code == 401
    assert client.get("/notifier/v1/messages", headers=tenant_admin).status_code == 403
    outsider = tokens.headers(org_id="t-9", org_kind="tenant", roles=("support",))
    assert client.get("/notifier/v1/messages", headers=outsider).status_code == 403
    message_id = stored_messages(log)[0].id
    assert client.get(f"/notifier/v1/messages/{message_id}", headers=tenant_admin).status_code == 403


def test_staff_read_one_message(client, staff, log):
    message = stored_messages(log, event_type=WELCOME)[0]
    response = client.get(f"/notifier/v1/messages/{message.id}", headers=staff)
    assert response.status_code == 200
    assert response.json["body"] == message.body
    assert client.get("/notifier/v1/messages/no-such-message", headers=staff).json["code"] == "not_found"
    assert client.get("/notifier/v1/messages/" + "x" * 500, headers=staff).status_code == 404


def test_resending_a_sent_secret_mail_sends_its_masked_copy(client, staff, log, var, clock):
    message = stored_messages(log, event_type=WELCOME)[0]
    response = client.post(f"/notifier/v1/messages/{message.id}/resend", headers=staff)
    assert response.status_code == 202
    assert response.json["content"] == "masked"
    assert (response.json["message"]["status"], response.json["message"]["attempts"]) == ("queued", 0)
    assert log.delivery.deliver_due() == 1
    latest = sorted((var / "mail").glob("*admin@acme.test*.eml"))[-1]
    text = body_text(message_from_bytes(latest.read_bytes()))
    assert "初始密码：******" in text
    assert stored_messages(log, event_type=WELCOME)[0].status == "sent"


def test_resending_a_message_still_queued_sends_the_original_at_once(client, staff, log, var):
    sms = stored_messages(log, channel="sms")[0]
    response = client.post(f"/notifier/v1/messages/{sms.id}/resend", headers=staff)
    assert response.json["content"] == "original"
    assert log.delivery.deliver_due() == 1
    [text] = [p.read_text() for p in (var / "sms").glob("*13800138000*")]
    assert samples.SMS_CODE in text


def test_resend_is_audited(client, staff, log, app):
    message = stored_messages(log)[0]
    client.post(f"/notifier/v1/messages/{message.id}/resend", headers=staff)
    with log.context.session_factory() as session:
        rows = session.execute(select(platform.audit_log)).all()
    assert [(r.action, r.target_id, r.actor_id) for r in rows] == [("message.resent", message.id, "staff-1")]


def test_tenant_admin_cannot_resend_and_nothing_changes(client, tenant_admin, log):
    message = stored_messages(log, event_type=WELCOME)[0]
    assert client.post(f"/notifier/v1/messages/{message.id}/resend", headers=tenant_admin).status_code == 403
    assert stored_messages(log, event_type=WELCOME)[0].status == "sent"


def test_resending_an_unknown_message_is_404(client, staff):
    assert client.post("/notifier/v1/messages/nope/resend", headers=staff).status_code == 404


def test_organisation_admin_sets_language_and_extra_addresses(client, tenant_admin, context):
    path = f"/notifier/v1/preferences/{samples.TENANT}"
    assert client.get(path, headers=tenant_admin).json == {"org_id": samples.TENANT, "language": None, "emails": [], "updated_at": None}
    emails = ["ops@acme.test", "OPS@acme.test", "cfo@acme.test"]
    response = client.put(path, json={"language": "en", "emails": emails}, headers=tenant_admin)
    assert response.status_code == 200
    assert response.json["language"] == "en"
    assert response.json["emails"] == ["ops@acme.test", "cfo@acme.test"]
    assert client.get(path, headers=tenant_admin).json["updated_at"] == "2026-01-01T00:00:00Z"
    with context.session_factory() as session:
        [row] = session.execute(select(platform.audit_log)).all()
    assert (row.action, row.target_id) == ("preference.updated", samples.TENANT)


def test_platform_staff_may_set_any_organisations_preferences(client, staff):
    response = client.put("/notifier/v1/preferences/company-7", json={"language": "zh-CN", "emails": []}, headers=staff)
    assert response.status_code == 200


def test_other_organisations_and_roles_cannot_touch_preferences(client, tokens, tenant_admin):
    body = {"language": "en", "emails": []}
    assert client.put("/notifier/v1/preferences/tenant-2", json=body, headers=tenant_admin).status_code == 404
    user = tokens.headers(org_id=samples.RESELLER, org_kind="reseller", roles=("reseller_user",))
    assert client.put(f"/notifier/v1/preferences/{samples.RESELLER}", json=body, headers=user).status_code == 403
    assert client.put(f"/notifier/v1/preferences/{samples.TENANT}", json=body).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "fr", "emails": []}, "language"),
        ({"language": "en", "emails": ["not an address"]}, "emails.0"),
        ({"language": "en", "emails": ["a@acme.test"] * 21}, "emails"),
        ({"language": "en", "emails": "ops@acme.test"}, "emails"),
    ],
)
def test_bad_preferences_are_422_and_change_nothing(client, tenant_admin, body, field):
    path = f"/notifier/v1/preferences/{samples.TENANT}"
    client.put(path, json={"language": "zh-CN", "emails": ["ops@acme.test"]}, headers=tenant_admin)
    response = client.put(path, json=body, headers=tenant_admin)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert client.get(path, headers=tenant_admin).json["emails"] == ["ops@acme.test"]


def test_an_event_naming_nobody_is_a_failed_message_staff_can_see(client, staff, make_worker):
    """Issue 19: an order delivered to a tenant nobody knows was only a log line; now staff see it failed, and why."""
    parts = make_worker(None)
    event = samples.event("entitlements.order.delivered.v1", tenant_id="unknown-tenant", recipient=None)
    consume(parts, event)
    consume(parts, event)
    [message] = stored_messages(parts)
    assert (message.status, message.recipient, message.attempts) == ("failed", "", 0)
    assert "no usable recipient" in message.last_error and samples.OPERATION_KEY not in message.body
    listed = client.get("/notifier/v1/messages", headers=staff, query_string={"status": "failed"}).json["items"]
    assert [item["id"] for item in listed] == [message.id]
    refused = client.post(f"/notifier/v1/messages/{message.id}/resend", headers=staff)
    assert refused.status_code == 409 and refused.json["code"] == "no_recipient"
    assert parts.delivery.deliver_due() == 0
