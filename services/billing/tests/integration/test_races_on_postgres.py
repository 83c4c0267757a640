"""Races on PostgreSQL through the real app served over HTTP: an order is paid once under racing
payments and callbacks, an offline top-up is credited once under racing approvals, and concurrent
payments never take a balance below zero."""

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, func, select

from services.billing.adapters.orm import balances, ledger_entries
from services.billing.tests.unit.test_renewals_and_payments import signed

THREADS = 12


def race(calls):
    barrier_pool = ThreadPoolExecutor(max_workers=len(calls))
    return [f.result() for f in [barrier_pool.submit(call) for call in calls]]


def ledger_matches_balances(database_url):
    with create_engine(database_url).connect() as conn:
        for row in conn.execute(select(balances)):
            total = conn.execute(
                select(func.sum(ledger_entries.c.amount_minor)).where(
                    ledger_entries.c.company_id == row.company_id, ledger_entries.c.currency == row.currency
                )
            ).scalar_one()
            assert total == row.amount_minor >= 0


def test_racing_balance_payments_pay_an_order_once(world, client, headers, live_server, database_url):
    world.device("M", "ACME", "2026-02-01")
    world.top_up_offline("ACME", 100000)
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    url = f"{live_server}/billing/v1/orders/{order['id']}/payments"
    calls = [
        lambda i=i: requests.post(url, json={"method": "balance"}, headers={**acme, "Idempotency-Key": f"k{i % 3}"}, timeout=30)
        for i in range(THREADS)
    ]
    statuses = [r.status_code for r in race(calls)]
    fresh = [r for r in statuses if r == 201]
    assert set(statuses) <= {201, 409} and len(fresh) >= 1
    assert world.balance("ACME") == {"CNY": 94000}
    assert world.ok(client.get("/billing/v1/devices/M", headers=acme))["expires_on"] == "2026-08-01"
    ledger_matches_balances(database_url)


def test_racing_callbacks_pay_once_and_refund_a_second_payment(world, client, headers, live_server, clock, database_url):
    world.device("M", "ACME", "2026-02-01")
    order = world.renewal("ACME", [("M", 6)])
    acme = headers.customer("ACME")
    started = [
        world.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": method}, headers=acme), 201)
        for method in ("wechat", "alipay")
    ]
    notices = [
        signed({"payment_id": s["payment_id"], "outcome": "success", "amount_minor": 6000, "currency": "CNY"}, clock.now()) for s in started
    ]
    url = f"{live_server}/billing/v1/payments/callback"
    calls = [lambda i=i: requests.post(url, data=notices[i % 2][0], headers=notices[i % 2][1], timeout=30) for i in range(THREADS)]
    results = [r.json()["result"] for r in race(calls)]
    assert results.count("paid") == 1 and results.count("refunded_to_balance") == 1
    assert results.count("already_processed") == THREADS - 2
    assert world.balance("ACME") == {"CNY": 6000}
    assert world.ok(client.get("/billing/v1/devices/M", headers=acme))["expires_on"] == "2026-08-01"
    ledger_matches_balances(database_url)


def test_racing_approvals_credit_an_offline_topup_once(world, client, headers, live_server, database_url):
    sales, finance = headers.staff("sales"), headers.staff("finance")
    body = {"company_id": "ACME", "payer": "p", "currency": "USD", "amount_minor": 777, "reference": "r"}
    topup = world.ok(client.post("/billing/v1/offline-topups", json=body, headers=sales), 201)
    version = world.ok(client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=sales))["version"]
    url = f"{live_server}/billing/v1/offline-topups/{topup['id']}/review"
    calls = [lambda: requests.post(url, json={"decision": "approve", "version": version}, headers=finance, timeout=30)
             for _ in range(THREADS)]
    statuses = sorted(r.status_code for r in race(calls))
    assert statuses == [200] + [409] * (THREADS - 1)
    assert world.balance("ACME") == {"USD": 777}
    ledger_matches_balances(database_url)


def test_an_offline_topup_edited_while_approvals_race_credits_the_submitted_amount(world, client, headers, live_server, database_url):
    """Issue 16: edits racing finance's approval had 100,002 credited where 100 was submitted."""
    sales, finance = headers.staff("sales"), headers.staff("finance")
    body = {"company_id": "ACME", "payer": "p", "currency": "CNY", "amount_minor": 100, "reference": "r"}
    topup = world.ok(client.post("/billing/v1/offline-topups", json=body, headers=sales), 201)
    version = world.ok(client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=sales))["version"]
    url = f"{live_server}/billing/v1/offline-topups/{topup['id']}"
    edits = [lambda i=i: requests.patch(url, json={"amount_minor": 100000 + i}, headers=sales, timeout=30) for i in range(THREADS)]
    reviews = [lambda: requests.post(f"{url}/review", json={"decision": "approve", "version": version}, headers=finance, timeout=30)
               for _ in range(THREADS)]
    answers = race([call for pair in zip(edits, reviews, strict=True) for call in pair])
    edited, reviewed = answers[0::2], answers[1::2]
    assert {r.status_code for r in edited} == {409}, [r.json() for r in edited]
    assert sorted(r.status_code for r in reviewed) == [200] + [409] * (THREADS - 1)
    assert world.balance("ACME") == {"CNY": 100}
    ledger_matches_balances(database_url)


def test_concurrent_payments_never_take_the_balance_below_zero(world, client, headers, live_server, database_url):
    acme = headers.customer("ACME")
    orders = []
    for index in range(THREADS):
        world.device(f"D{index}", "ACME", "2026-02-01")
        orders.append(world.renewal("ACME", [(f"D{index}", 6)]))
    world.top_up_offline("ACME", 6000 * 5 + 100)
    calls = [
        lambda o=o: requests.post(
            f"{live_server}/billing/v1/orders/{o['id']}/payments", json={"method": "balance"}, headers=acme, timeout=30
        )
        for o in orders
    ]
    responses = race(calls)
    codes = [r.json().get("code") for r in responses if r.status_code != 201]
    assert sum(r.status_code == 201 for r in responses) == 5
    assert codes == ["insufficient_balance"] * (THREADS - 5)
    assert world.balance("ACME") == {"CNY": 100}
    ledger_matches_balances(database_url)
