"""Offline top-ups (sales draft/edit/submit, finance review with history), account config, and the
auto-renew and reminder jobs."""

import json
from datetime import UTC, datetime

from sqlalchemy import create_engine, select

from services.billing.adapters.orm import platform
from services.billing.service_layer import jobs
from services.billing.tests.conftest import run_in_uow


def events(database_url, type_):
    with create_engine(database_url).connect() as conn:
        payloads = conn.execute(
            select(platform.outbox.c.payload).where(platform.outbox.c.type == type_).order_by(platform.outbox.c.id)
        ).scalars()
        return [json.loads(p)["data"] for p in payloads]


def test_offline_topup_lifecycle_with_history_and_single_credit(world, client, headers, database_url):
    sales, finance = headers.staff("sales"), headers.staff("finance")
    body = {"company_id": "ACME-SH", "payer": "上海某公司", "currency": "CNY", "amount_minor": 50000, "reference": "TT-001"}
    topup = world.ok(client.post("/billing/v1/offline-topups", json=body, headers=sales), 201)
    assert topup["status"] == "draft"
    world.ok(client.patch(f"/billing/v1/offline-topups/{topup['id']}", json={"amount_minor": 60000}, headers=sales))
    submitted = world.ok(client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=sales))
    assert submitted["version"] == 2
    review_url = f"/billing/v1/offline-topups/{topup['id']}/review"
    no_comment = client.post(review_url, json={"decision": "return", "version": 2}, headers=finance)
    assert no_comment.status_code == 422 and no_comment.json["code"] == "comment_required"
    world.ok(client.post(review_url, json={"decision": "return", "comment": "凭证不清", "version": 2}, headers=finance))
    world.ok(client.patch(f"/billing/v1/offline-topups/{topup['id']}", json={"reference": "TT-001-B"}, headers=sales))
    world.ok(client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=sales))
    approved = world.ok(client.post(review_url, json={"decision": "approve", "comment": "ok", "version": 3}, headers=finance))
    assert approved["status"] == "approved" and approved["reviewed_by"] == "finance-1"
    assert [h["action"] for h in approved["history"]] == ["drafted", "edited", "submitted", "return", "edited", "submitted", "approve"]
    again = client.post(review_url, json={"decision": "approve", "version": 3}, headers=finance)
    assert again.status_code == 409 and again.json["code"] == "topup_not_reviewable"
    assert client.patch(f"/billing/v1/offline-topups/{topup['id']}", json={"amount_minor": 1}, headers=sales).status_code == 409
    assert world.balance("ACME-SH") == {"CNY": 60000}
    [mailed] = events(database_url, "billing.topup.approved.v1")
    assert mailed["amount_minor"] == 60000
    [record] = world.ok(client.get("/billing/v1/orders?kind=topup", headers=finance))["items"]
    assert mailed["order_no"] == record["order_no"] and mailed["reference"] == approved["reference"]  # what people see, not ids


def test_offline_topup_roles_and_bad_input(world, client, headers):
    body = {"company_id": "ACME", "payer": "p", "currency": "CNY", "amount_minor": 100, "reference": "r"}
    assert client.post("/billing/v1/offline-topups", json=body, headers=headers.staff("finance")).status_code == 403
    assert client.post("/billing/v1/offline-topups", json=body, headers=headers.customer("ACME")).status_code == 403
    unknown = client.post("/billing/v1/offline-topups", json={**body, "company_id": "NOPE"}, headers=headers.staff("sales"))
    assert unknown.status_code == 422 and unknown.json["code"] == "unknown_company"
    for bad in ({**body, "amount_minor": -5}, {**body, "amount_minor": 10**14}, {**body, "currency": "XXX"}, {**body, "payer": "x" * 201}):
        assert client.post("/billing/v1/offline-topups", json=bad, headers=headers.staff("sales")).status_code == 422
    topup = world.ok(client.post("/billing/v1/offline-topups", json=body, headers=headers.staff("sales")), 201)
    draft_review = client.post(
        f"/billing/v1/offline-topups/{topup['id']}/review", json={"decision": "approve", "version": 1}, headers=headers.staff("finance")
    )
    assert draft_review.status_code == 409
    unnamed = client.post(f"/billing/v1/offline-topups/{topup['id']}/review", json={"decision": "approve"},
                          headers=headers.staff("finance"))
    assert unnamed.status_code == 422 and "version" in unnamed.json["errors"]
    declined_flow = client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=headers.staff("sales"))
    assert declined_flow.status_code == 200
    world.ok(
        client.post(
            f"/billing/v1/offline-topups/{topup['id']}/review",
            json={"decision": "decline", "comment": "no money arrived", "version": 1},
            headers=headers.staff("finance"),
        )
    )
    assert world.balance("ACME") == {}
    queue = world.ok(client.get("/billing/v1/offline-topups?status=declined", headers=headers.staff("finance")))
    assert queue["total"] == 1


def test_account_config_for_own_company_and_subsidiaries_only(world, client, headers):
    config = {
        "billing_cycle": "monthly",
        "auto_renew": True,
        "notify": True,
        "language": "en",
        "emails": ["A@acme.test", "b@acme.test", "a@acme.test"],
    }
    acme = headers.customer("ACME")
    saved = world.ok(client.put("/billing/v1/account-config", json=config, headers=acme))
    assert saved["emails"] == ["a@acme.test", "b@acme.test"] and saved["next_renewal_on"] == "2026-02-01"
    world.ok(client.put("/billing/v1/account-config", json={**config, "company_id": "ACME-SH-PD"}, headers=acme))
    assert client.put("/billing/v1/account-config", json={**config, "company_id": "OTHER"}, headers=acme).status_code == 404
    assert client.put("/billing/v1/account-config", json={**config, "emails": ["not-an-email"]}, headers=acme).status_code == 422
    assert client.put("/billing/v1/account-config", json={**config, "billing_cycle": "weekly"}, headers=acme).status_code == 422
    listed = world.ok(client.get("/billing/v1/account-configs?scope=direct", headers=acme))
    assert [c["company_id"] for c in listed["items"]] == ["ACME"]
    assert world.ok(client.get("/billing/v1/account-configs", headers=acme))["total"] == 2
    staff = client.put("/billing/v1/account-config", json=config, headers=headers.staff("sales"))
    assert staff.status_code == 422
    assert client.delete("/billing/v1/account-config?company_id=ACME-SH-PD", headers=acme).status_code == 204
    assert client.get("/billing/v1/account-config?company_id=ACME-SH-PD", headers=acme).status_code == 404


def test_auto_renew_pays_due_devices_from_balance_at_the_cycle_start(world, client, headers, app, clock, database_url):
    world.device("DUE", "ACME", "2026-02-10")
    world.device("LATER", "ACME", "2026-06-01")
    world.device("OFF", "ACME", "2026-02-05")
    world.ok(client.post("/billing/v1/devices/deactivate", json={"device_ids": ["OFF"]}, headers=headers.customer("ACME")))
    config = {"billing_cycle": "monthly", "auto_renew": True, "notify": True, "language": "zh-CN", "emails": ["ops@acme.test"]}
    world.ok(client.put("/billing/v1/account-config", json=config, headers=headers.customer("ACME")))
    world.top_up_offline("ACME", 1000)
    run_in_uow(app, jobs.run_auto_renewals)
    assert events(database_url, "billing.renewal.completed.v1") == []
    clock.set(datetime(2026, 2, 1, 1, tzinfo=UTC))
    run_in_uow(app, jobs.run_auto_renewals)
    run_in_uow(app, jobs.run_auto_renewals)
    completed = events(database_url, "billing.renewal.completed.v1")
    assert len(completed) == 1 and completed[0]["ok"] and completed[0]["auto"]
    assert completed[0]["devices"] == [{"device_id": "DUE", "expires_on": "2026-03-10"}]
    assert completed[0]["recipient"]["email"] == "ops@acme.test"
    record = world.ok(client.get(f"/billing/v1/orders/{completed[0]['order_id']}", headers=headers.staff("finance")))
    assert completed[0]["order_no"] == record["order_no"]
    assert world.balance("ACME") == {"CNY": 0}


def test_auto_renew_without_enough_balance_reports_the_failure_and_changes_nothing(world, client, headers, app, clock, database_url):
    world.device("DUE", "ACME", "2026-02-10")
    config = {"billing_cycle": "quarterly", "auto_renew": True, "notify": False, "language": "en", "emails": []}
    world.ok(client.put("/billing/v1/account-config", json=config, headers=headers.customer("ACME")))
    clock.set(datetime(2026, 4, 1, tzinfo=UTC))
    world.ok(client.put("/billing/v1/devices/DUE/expiry", json={"expires_on": "2026-05-01"}, headers=headers.staff("support")))
    run_in_uow(app, jobs.run_auto_renewals)
    [failed] = events(database_url, "billing.renewal.completed.v1")
    assert failed["ok"] is False and failed["error"] == "insufficient_balance" and failed["recipient"] is None
    record = world.ok(client.get(f"/billing/v1/orders/{failed['order_id']}", headers=headers.staff("finance")))
    assert failed["order_no"] == record["order_no"]
    assert world.ok(client.get("/billing/v1/devices/DUE", headers=headers.customer("ACME")))["expires_on"] == "2026-05-01"
    orders = world.ok(client.get("/billing/v1/orders?status=failed", headers=headers.customer("ACME")))
    assert orders["items"][0]["auto"] is True and orders["items"][0]["error"] == "insufficient_balance"


def test_expiry_reminders_go_once_per_stage(world, client, headers, app, clock, database_url):
    world.device("SOON", "ACME", "2026-01-25")
    world.device("FAR", "ACME", "2026-05-01")
    world.device("OTHER-SOON", "OTHER", "2026-01-05")
    run_in_uow(app, jobs.send_expiry_reminders)
    run_in_uow(app, jobs.send_expiry_reminders)
    sent = events(database_url, "billing.device.expiring.v1")
    assert sorted((e["company_id"], d["device_id"]) for e in sent for d in e["devices"]) == [("ACME", "SOON"), ("OTHER", "OTHER-SOON")]
    clock.set(datetime(2026, 1, 19, tzinfo=UTC))
    run_in_uow(app, jobs.send_expiry_reminders)
    assert [d["device_id"] for d in events(database_url, "billing.device.expiring.v1")[-1]["devices"]] == ["SOON"]
    assert len(events(database_url, "billing.device.expiring.v1")) == 3


def test_a_submitted_topup_is_frozen_and_approval_credits_the_reviewed_version(world, client, headers, database_url):
    """Issue 16: a request edited while awaiting review was credited at whatever amount it had at approval."""
    sales, finance = headers.staff("sales"), headers.staff("finance")
    body = {"company_id": "ACME", "payer": "p", "currency": "CNY", "amount_minor": 100, "reference": "r"}
    topup = world.ok(client.post("/billing/v1/offline-topups", json=body, headers=sales), 201)
    url = f"/billing/v1/offline-topups/{topup['id']}"
    submitted = world.ok(client.post(f"{url}/submit", headers=sales))
    assert submitted["version"] == 1
    for change in ({"amount_minor": 100002}, {"company_id": "ACME"}, {"currency": "USD"}, {"payer": "q"}):
        edited = client.patch(url, json=change, headers=sales)
        assert edited.status_code == 409 and edited.json["code"] == "topup_not_editable", change
    assert world.ok(client.get(url, headers=finance))["amount_minor"] == 100
    stale = client.post(f"{url}/review", json={"decision": "approve", "version": 2}, headers=finance)
    assert stale.status_code == 409 and stale.json["code"] == "topup_version_mismatch"
    assert world.ok(client.get(url, headers=finance))["status"] == "submitted"
    # returned, edited (a new version) and resubmitted: a review of the old version is refused
    world.ok(client.post(f"{url}/review", json={"decision": "return", "comment": "金额不对", "version": 1}, headers=finance))
    assert world.ok(client.patch(url, json={"amount_minor": 200}, headers=sales))["version"] == 2
    world.ok(client.post(f"{url}/submit", headers=sales))
    old = client.post(f"{url}/review", json={"decision": "approve", "version": 1}, headers=finance)
    assert old.status_code == 409 and old.json["code"] == "topup_version_mismatch"
    world.ok(client.post(f"{url}/review", json={"decision": "approve", "version": 2}, headers=finance))
    assert world.balance("ACME") == {"CNY": 200}
