"""Renewal orders and their payment: pricing, confirmation, balance payments, the sandbox provider's
signed callbacks (verified, idempotent, an order paid at most once), online top-ups, order records."""

import io
import json

from openpyxl import load_workbook
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, select

from services.billing.adapters.orm import platform
from services.billing.adapters.payment_providers import SandboxProvider
from services.billing.tests.conftest import SANDBOX_SECRET, deliver_sandbox_callbacks


def outbox_types(database_url):
    with create_engine(database_url).connect() as conn:
        return [json.loads(p) for p in conn.execute(select(platform.outbox.c.payload).order_by(platform.outbox.c.id)).scalars()]


def test_order_is_priced_from_bound_packages_and_refuses_what_cannot_be_renewed(world, client, headers):
    world.device("M", "ACME", "2026-02-01")
    world.device("Y", "ACME", "2026-02-01", package_code="RN-Y")
    world.device("ONCE", "ACME", "2026-02-01", package_code="RN-ONCE")
    world.device("USD", "ACME", "2026-02-01", package_code="RN-USD")
    world.device("NONE", "ACME", "2026-02-01", package_code=None)
    acme = headers.customer("ACME")
    order = world.renewal("ACME", [("M", 24), ("Y", 7)], confirm=False)
    assert order["status"] == "draft" and order["currency"] == "CNY"
    assert [i["amount_minor"] for i in order["items"]] == [24000, 7000]
    for items, code in (
        ([("ONCE", 12)], "package_not_renewable"),
        ([("NONE", 6)], "device_without_package"),
        ([("M", 6), ("USD", 6)], "mixed_currencies"),
        ([("M", 6), ("M", 12)], "duplicate_device"),
    ):
        body = {"items": [{"device_id": d, "months": m} for d, m in items]}
        response = client.post("/billing/v1/renewal-orders", json=body, headers=acme)
        assert response.status_code == 422 and response.json["code"] == code, (items, response.json)
    for months in (0, 121, "six", 10**20):
        response = client.post("/billing/v1/renewal-orders", json={"items": [{"device_id": "M", "months": months}]}, headers=acme)
        assert response.status_code == 422
    assert (
        client.post(
            "/billing/v1/renewal-orders", json={"items": [{"device_id": "M", "months": 6}]}, headers=headers.staff("finance")
        ).status_code
        == 403
    )


def test_a_draft_cannot_be_paid_and_is_confirmed_once(world, client, headers):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)], confirm=False)
    acme = headers.customer("ACME")
    world.top_up_offline("ACME", 100000)
    draft_payment = client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=acme)
    assert draft_payment.status_code == 409 and draft_payment.json["code"] == "order_not_payable"
    world.ok(client.post(f"/billing/v1/renewal-orders/{order['id']}/confirm", headers=acme))
    twice = client.post(f"/billing/v1/renewal-orders/{order['id']}/confirm", headers=acme)
    assert twice.status_code == 409 and twice.json["code"] == "order_not_draft"
    assert client.post(f"/billing/v1/renewal-orders/{order['id']}/confirm", headers=headers.customer("OTHER")).status_code == 404


def test_insufficient_balance_is_409_and_changes_nothing(world, client, headers, database_url):
    world.device("M", "ACME", "2026-02-01")
    world.top_up_offline("ACME", 5999)
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    response = client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=acme)
    assert response.status_code == 409 and response.json["code"] == "insufficient_balance" and response.json["balance_minor"] == 5999
    assert world.balance("ACME") == {"CNY": 5999}
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))["status"] == "pending_payment"
    assert world.ok(client.get("/billing/v1/devices/M", headers=acme))["expires_on"] == "2026-02-01"


def test_paying_twice_is_refused_and_the_device_is_extended_once(world, client, headers, database_url):
    world.device("M", "ACME", "2026-02-01")
    world.top_up_offline("ACME", 100000)
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=acme), 201)
    second = client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=acme)
    assert second.status_code == 409
    assert world.balance("ACME") == {"CNY": 94000}
    assert world.ok(client.get("/billing/v1/devices/M", headers=acme))["expires_on"] == "2026-08-01"
    detail = world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))
    assert detail["items"][0]["expires_before"] == "2026-02-01" and detail["items"][0]["expires_after"] == "2026-08-01"
    events = [e for e in outbox_types(database_url) if e["subject"] == order["id"]]
    assert sorted(e["type"] for e in events) == ["billing.order.paid.v1", "billing.renewal.completed.v1"]
    renewal = next(e for e in events if e["type"] == "billing.renewal.completed.v1")["data"]
    assert renewal["ok"] is True and renewal["devices"] == [{"device_id": "M", "expires_on": "2026-08-01"}]
    assert renewal["order_no"] == detail["order_no"]


def test_wallet_methods_need_their_currency(world, client, headers):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)])
    response = client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "paypal"}, headers=headers.customer("ACME"))
    assert response.status_code == 422 and response.json["code"] == "method_not_available_for_currency"


def test_sandbox_payment_redirects_then_its_signed_callback_pays_the_order(world, client, headers, live_server):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 12)])
    acme = headers.customer("ACME")
    started = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"}, headers=acme), 201)
    assert started["status"] == "pending"
    assert started["redirect_url"] == f"http://gateway.test/portal/pay/billing/{started['payment_id']}"  # the portal's page
    page = world.ok(client.get(f"/billing/v1/sandbox/pay/{started['payment_id']}"))
    assert page["amount_minor"] == 12000 and page["currency"] == "CNY"
    paid = world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    assert paid["callback"] == "queued"
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))["status"] == "pending_payment"
    assert deliver_sandbox_callbacks(client.application) == [200]
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))["status"] == "paid"
    world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    assert deliver_sandbox_callbacks(client.application) == [200]  # a repeated notice is applied once
    assert world.ok(client.get("/billing/v1/devices/M", headers=acme))["expires_on"] == "2027-02-01"


def test_the_sandbox_page_answers_without_calling_billing_back_in_the_request(world, client, headers, app, monkeypatch):
    """Its callback went over HTTP from the request thread: 12 unauthenticated clicks held every
    thread of the API. The worker sends it now; the page only records the payer's choice."""
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 12)])
    acme = headers.customer("ACME")
    started = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"}, headers=acme), 201)
    provider = app.extensions["suite_context"].extras["payment_provider"]
    sent = []
    monkeypatch.setattr(provider, "_transport", lambda url, body, headers: sent.append(body) or 503)
    for _ in range(3):
        assert world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    assert sent == []
    assert client.post("/billing/v1/sandbox/pay/nope", json={"outcome": "success"}).status_code == 404
    assert deliver_sandbox_callbacks(app) == [503, 503, 503] and len(sent) == 3
    assert deliver_sandbox_callbacks(app) == []  # a failed delivery waits before it is tried again
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))["status"] == "pending_payment"


def signed(body, now, secret=SANDBOX_SECRET):
    provider = SandboxProvider(secret, "http://x", "http://x")
    raw = json.dumps(body).encode()
    return raw, provider.signature_headers(raw, now)


def test_callbacks_must_be_signed_fresh_and_match_the_payment(world, client, headers, clock):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)])
    started = world.ok(
        client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "alipay"}, headers=headers.customer("ACME")), 201
    )
    notice = {"payment_id": started["payment_id"], "outcome": "success", "amount_minor": 6000, "currency": "CNY", "provider_ref": "R1"}
    before = _callback_counts()
    unsigned = client.post("/billing/v1/payments/callback", data=json.dumps(notice), content_type="application/json")
    assert unsigned.status_code == 401 and unsigned.json["code"] == "callback_unsigned"
    raw, forged = signed(notice, clock.now(), secret=b"not-the-secret")
    assert client.post("/billing/v1/payments/callback", data=raw, headers=forged).json["code"] == "callback_signature_invalid"
    raw, stale = signed(notice, clock.now().replace(year=2025))
    assert client.post("/billing/v1/payments/callback", data=raw, headers=stale).json["code"] == "callback_stale"
    raw, good = signed(notice, clock.now())
    tampered = raw.replace(b"6000", b"1")
    assert client.post("/billing/v1/payments/callback", data=tampered, headers=good).status_code == 401
    raw_wrong_amount, headers_wrong_amount = signed({**notice, "amount_minor": 1}, clock.now())
    mismatch = client.post("/billing/v1/payments/callback", data=raw_wrong_amount, headers=headers_wrong_amount)
    assert mismatch.status_code == 422 and mismatch.json["code"] == "callback_amount_mismatch"
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=headers.customer("ACME")))["status"] == "pending_payment"
    first = world.ok(client.post("/billing/v1/payments/callback", data=raw, headers=good))
    replayed = world.ok(client.post("/billing/v1/payments/callback", data=raw, headers=good))
    assert (first["result"], replayed["result"]) == ("paid", "already_processed")
    assert world.ok(client.get("/billing/v1/devices/M", headers=headers.customer("ACME")))["expires_on"] == "2026-08-01"
    moved = {result: count - before[result] for result, count in _callback_counts().items()}
    assert moved == {"rejected": 4, "refused": 1, "paid": 1, "already_processed": 1}, "payment_callbacks_total by result"


def _callback_counts() -> dict[str, float]:
    return {result: REGISTRY.get_sample_value("payment_callbacks_total", {"result": result}) or 0.0
            for result in ("rejected", "refused", "paid", "already_processed")}


def test_a_second_successful_payment_of_a_paid_order_is_refunded_to_the_balance(world, client, headers, clock):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    first = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"}, headers=acme), 201)
    second = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "alipay"}, headers=acme), 201)
    results = []
    for started in (first, second):
        raw, good = signed(
            {"payment_id": started["payment_id"], "outcome": "success", "amount_minor": 6000, "currency": "CNY"}, clock.now()
        )
        results.append(world.ok(client.post("/billing/v1/payments/callback", data=raw, headers=good))["result"])
    assert results == ["paid", "refunded_to_balance"]
    assert world.balance("ACME") == {"CNY": 6000}
    assert world.ok(client.get("/billing/v1/devices/M", headers=acme))["expires_on"] == "2026-08-01"


def test_a_failed_payment_leaves_the_order_payable(world, client, headers, live_server):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    started = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"}, headers=acme), 201)
    world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "failure"}), 202)
    deliver_sandbox_callbacks(client.application)
    detail = world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))
    assert detail["status"] == "pending_payment" and detail["payments"][0]["status"] == "failed"


def test_success_after_a_failure_is_a_409_and_a_new_payment_retries(world, client, headers, clock, live_server):
    """Issue 19: posting success for a failed payment answered callback_status 200 and changed nothing."""
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    started = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"}, headers=acme), 201)
    world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "failure"}), 202)
    assert deliver_sandbox_callbacks(client.application) == [200]  # the worker's callback settles it as failed
    again = client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"})
    assert again.status_code == 409 and again.json["code"] == "payment_already_failed" and "new payment" in again.json["detail"]
    notice = {"payment_id": started["payment_id"], "outcome": "success", "amount_minor": 6000, "currency": "CNY", "provider_ref": "R"}
    raw, good = signed(notice, clock.now())
    late = client.post("/billing/v1/payments/callback", data=raw, headers=good)
    assert late.status_code == 409 and late.json["code"] == "payment_already_failed"
    raw, good = signed({**notice, "outcome": "failure"}, clock.now())
    assert world.ok(client.post("/billing/v1/payments/callback", data=raw, headers=good))["result"] == "already_processed"
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))["status"] == "pending_payment"
    retry = world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"}, headers=acme), 201)
    world.ok(client.post(f"/billing/v1/sandbox/pay/{retry['payment_id']}", json={"outcome": "success"}), 202)
    assert deliver_sandbox_callbacks(client.application) == [200]
    assert world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=acme))["status"] == "paid"


def test_online_top_up_credits_the_balance_once_through_the_callback(world, client, headers, live_server):
    acme = headers.customer("ACME")
    body = {"amount_minor": 2500, "currency": "USD", "method": "paypal"}
    started = world.ok(client.post("/billing/v1/topups", json=body, headers={**acme, "Idempotency-Key": "t1"}), 201)
    replay = world.ok(client.post("/billing/v1/topups", json=body, headers={**acme, "Idempotency-Key": "t1"}), 201)
    assert replay == started
    reused = client.post("/billing/v1/topups", json={**body, "amount_minor": 1}, headers={**acme, "Idempotency-Key": "t1"})
    assert reused.status_code == 422 and reused.json["code"] == "idempotency_key_reused"
    assert world.balance("ACME") == {}
    world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    world.ok(client.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    assert deliver_sandbox_callbacks(client.application) == [200, 200]
    assert world.balance("ACME") == {"USD": 2500}
    for bad in ({**body, "method": "balance"}, {**body, "method": "wechat"}, {**body, "amount_minor": 0}, {**body, "currency": "EUR"}):
        assert client.post("/billing/v1/topups", json=bad, headers=acme).status_code == 422, bad


def test_order_records_filter_and_export_by_scope(world, client, headers):
    world.device("M", "ACME", "2026-02-01")
    world.device("O", "OTHER", "2026-02-01")
    world.top_up_offline("ACME", 100000)
    paid = world.renewal("ACME", [("M", 6)])
    world.ok(client.post(f"/billing/v1/orders/{paid['id']}/payments", json={"method": "balance"}, headers=headers.customer("ACME")), 201)
    world.renewal("OTHER", [("O", 6)])
    acme = headers.customer("ACME")
    mine = world.ok(client.get("/billing/v1/orders", headers=acme))
    assert {(o["kind"], o["status"], o["method"]) for o in mine["items"]} == {("renewal", "paid", "balance"), ("topup", "paid", "offline")}
    assert (
        world.ok(
            client.get(
                "/billing/v1/orders?kind=renewal&status=paid&method=balance&currency=CNY&from=2026-01-01&to=2026-01-01", headers=acme
            )
        )["total"]
        == 1
    )
    assert world.ok(client.get("/billing/v1/orders?from=2026-01-02", headers=acme))["total"] == 0
    assert world.ok(client.get("/billing/v1/orders", headers=headers.staff("finance")))["total"] == 3
    assert client.get("/billing/v1/orders?status=bogus", headers=acme).status_code == 422
    xlsx = client.get("/billing/v1/orders/export?format=xlsx", headers=acme)
    rows = list(load_workbook(io.BytesIO(xlsx.data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0] == "order_no"
    csv_lines = (
        client.get("/billing/v1/orders/export?format=csv&status=pending_payment", headers=headers.staff("finance"))
        .get_data(as_text=True)
        .splitlines()
    )
    assert len(csv_lines) == 2 and ",renewal,pending_payment,OTHER," in csv_lines[1]
