"""Billing end to end, through the gateway, with users of each role (seed 002).

Companies are created in identity and reach billing through events. Support sets up packages and
devices; a customer renews (priced by package, confirmed, 409 with too little balance); sales files
an offline top-up that finance approves once under racing clicks; the customer pays once under
racing retries and the expiry moves once. The sandbox provider redirects and calls back signed;
an unsigned callback is refused and a replayed one changes nothing. Another company's customer gets
404/403. Exports open in openpyxl; an expiry import reports its bad rows.
"""

from __future__ import annotations

import io
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from openpyxl import Workbook, load_workbook

from services.billing.adapters.payment_providers import CALLBACK_PATH, SandboxProvider
from shared.clock import Clock
from shared.testkit import wait_until
from tests.e2e.steps import create_organisation, invite_and_log_in

pytestmark = pytest.mark.e2e


def ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    return response.json()


def platform_org(suite, admin_token: str) -> str:
    return ok(suite.api(admin_token).get("/identity/v1/me"))["org_id"]


def xlsx_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def test_billing_renewal_story_payments_scoping_exports_and_import(suite, admin_token):
    tag = uuid.uuid4().hex[:6]
    acme = create_organisation(suite, admin_token, "company", f"ACME {tag}")
    acme_sub = create_organisation(suite, admin_token, "company", f"ACME 上海 {tag}", parent_id=acme)
    other = create_organisation(suite, admin_token, "company", f"OTHER {tag}")
    platform = platform_org(suite, admin_token)
    finance_token = invite_and_log_in(suite, admin_token, platform, ["finance"])
    support, sales = (suite.api(invite_and_log_in(suite, admin_token, platform, [r])) for r in ("support", "sales"))
    finance = suite.api(finance_token)
    customer_token = invite_and_log_in(suite, admin_token, acme, ["customer"])
    customer = suite.api(customer_token)
    stranger = suite.api(invite_and_log_in(suite, admin_token, other, ["customer"]))

    wait_until(
        lambda: (
            sales.get(f"/billing/v1/companies?company_id={acme}").status_code == 200
            and ok(sales.get(f"/billing/v1/companies?company_id={acme}"))["total"] == 2
        ),
        30,
        what="billing to learn the companies",
    )
    wait_until(lambda: sales.get(f"/billing/v1/companies?company_id={other}").status_code == 200, 30, what="the other company")

    # support: catalog, devices, bindings per device type
    ok(support.post("/billing/v1/package-categories", json={"code": f"RN{tag}", "name": "续费", "type": "renewal"}), 201)
    package = {
        "code": f"PM{tag}",
        "name": "月付",
        "category_code": f"RN{tag}",
        "price_minor": 1000,
        "currency": "CNY",
        "pricing": "per_month",
    }
    ok(support.post("/billing/v1/packages", json=package), 201)
    d1, d2, dx = f"D1-{tag}", f"D2-{tag}", f"DX-{tag}"
    soon = (Clock().today() + timedelta(days=10)).isoformat()
    for device_id, company in ((d1, acme), (d2, acme_sub), (dx, other)):
        ok(
            support.post("/billing/v1/devices", json={"device_id": device_id, "company_id": company, "type": "POS", "expires_on": soon}),
            201,
        )
    for company in (acme, acme_sub, other):
        ok(support.post("/billing/v1/bindings", json={"company_id": company, "package_code": package["code"], "device_type": "POS"}), 201)
    unknown = support.post("/billing/v1/devices", json={"device_id": f"X-{tag}", "company_id": "nope", "type": "POS", "expires_on": soon})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_company"

    # customer: expired/expiring devices of the company and its subsidiary, a priced renewal order
    listed = ok(customer.get("/billing/v1/devices?page_size=50"))
    assert sorted(d["device_id"] for d in listed["items"]) == sorted([d1, d2])
    order = ok(
        customer.post("/billing/v1/renewal-orders", json={"items": [{"device_id": d1, "months": 6}, {"device_id": d2, "months": 12}]}), 201
    )
    assert (order["status"], order["amount_minor"], order["currency"]) == ("draft", 18000, "CNY")
    order = ok(customer.post(f"/billing/v1/renewal-orders/{order['id']}/confirm"))
    assert order["status"] == "pending_payment"
    too_low = customer.post(
        f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers={"Idempotency-Key": f"low-{tag}"}
    )
    assert too_low.status_code == 409 and too_low.json()["code"] == "insufficient_balance"

    # sales: offline top-up; finance approves once under racing clicks
    topup = ok(
        sales.post(
            "/billing/v1/offline-topups",
            json={"company_id": acme, "payer": "ACME 财务", "currency": "CNY", "amount_minor": 20000, "reference": f"BANK-{tag}"},
        ),
        201,
    )
    ok(sales.patch(f"/billing/v1/offline-topups/{topup['id']}", json={"amount_minor": 25000}))
    submitted = ok(sales.post(f"/billing/v1/offline-topups/{topup['id']}/submit"))
    frozen = sales.patch(f"/billing/v1/offline-topups/{topup['id']}", json={"amount_minor": 2500000})
    assert frozen.status_code == 409 and frozen.json()["code"] == "topup_not_editable"
    review = {"decision": "approve", "comment": "到账", "version": submitted["version"]}
    with ThreadPoolExecutor(5) as pool:
        reviews = list(
            pool.map(
                lambda _: suite.api(finance_token).post(f"/billing/v1/offline-topups/{topup['id']}/review", json=review),
                range(5),
            )
        )
    assert sorted(r.status_code for r in reviews) == [200, 409, 409, 409, 409]
    assert ok(customer.get("/billing/v1/balance"))["balances"] == [{"currency": "CNY", "amount_minor": 25000}]
    history = ok(finance.get(f"/billing/v1/offline-topups/{topup['id']}"))["history"]
    assert [h["action"] for h in history] == ["drafted", "edited", "submitted", "approve"]

    # customer pays once under racing retries (same key replays, other keys conflict)
    def pay(key: str) -> requests.Response:
        return suite.api(customer_token).post(
            f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers={"Idempotency-Key": key}
        )

    with ThreadPoolExecutor(6) as pool:
        attempts = list(pool.map(pay, ["same", "same", "same", f"a-{tag}", f"b-{tag}", f"c-{tag}"]))
    assert {r.status_code for r in attempts} <= {201, 409}
    assert ok(customer.get("/billing/v1/balance"))["balances"] == [{"currency": "CNY", "amount_minor": 7000}]
    paid = ok(customer.get(f"/billing/v1/orders/{order['id']}"))
    assert paid["status"] == "paid"
    extended = {i["device_id"]: (i["expires_before"], i["expires_after"]) for i in paid["items"]}
    assert ok(customer.get(f"/billing/v1/devices/{d1}"))["expires_on"] == extended[d1][1] != extended[d1][0]

    # sandbox payment: redirect, signed callback over HTTP, unsigned refused, replay changes nothing
    second = ok(customer.post("/billing/v1/renewal-orders", json={"items": [{"device_id": d1, "months": 6}]}), 201)
    ok(customer.post(f"/billing/v1/renewal-orders/{second['id']}/confirm"))
    started = ok(
        customer.post(f"/billing/v1/orders/{second['id']}/payments", json={"method": "alipay"}, headers={"Idempotency-Key": f"ali-{tag}"}),
        201,
    )
    assert started["redirect_url"] == f"{suite.suite.env['SUITE_PUBLIC_URL']}/portal/pay/billing/{started['payment_id']}"
    assert ok(customer.get(f"/billing/v1/sandbox/pay/{started['payment_id']}"))["amount_minor"] == 6000
    assert ok(customer.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)["callback"] == "queued"
    # the billing worker sends the signed callback (never the page's own request thread)
    wait_until(lambda: ok(customer.get(f"/billing/v1/orders/{second['id']}"))["status"] == "paid", 30, interval=0.3,
               what="the sandbox callback from billing's worker")
    expiry_after_sandbox = ok(customer.get(f"/billing/v1/devices/{d1}"))["expires_on"]
    callback_url = suite.suite.service_url("billing") + CALLBACK_PATH
    notice = json.dumps({"payment_id": started["payment_id"], "outcome": "success", "amount_minor": 6000, "currency": "CNY"}).encode()
    unsigned = requests.post(callback_url, data=notice, headers={"Content-Type": "application/json"}, timeout=10)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "callback_unsigned"
    sandbox = SandboxProvider((suite.var_dir / "billing-sandbox.key").read_text().strip().encode(), "", callback_url)
    signed_headers = sandbox.signature_headers(notice, Clock().now())
    for _ in range(2):
        assert ok(requests.post(callback_url, data=notice, headers=signed_headers, timeout=10))["result"] == "already_processed"
    assert ok(customer.get(f"/billing/v1/devices/{d1}"))["expires_on"] == expiry_after_sandbox
    assert ok(customer.get("/billing/v1/balance"))["balances"] == [{"currency": "CNY", "amount_minor": 7000}]

    # scoping: another company's customer neither sees nor touches ACME's devices
    assert stranger.get(f"/billing/v1/devices/{d1}").status_code == 404
    assert stranger.post("/billing/v1/devices/deactivate", json={"device_ids": [d1]}).status_code == 404
    assert stranger.get(f"/billing/v1/orders/{order['id']}").status_code == 404
    assert stranger.put(f"/billing/v1/devices/{d1}/expiry", json={"expires_on": "2030-01-01"}).status_code == 403
    assert customer.get(f"/billing/v1/devices?company_id={other}").status_code == 404

    # exports open in openpyxl
    orders_sheet = xlsx_rows(ok_bytes(finance.get(f"/billing/v1/orders/export?format=xlsx&company_id={acme}")))
    assert orders_sheet[0][0] == "order_no" and len(orders_sheet) == 1 + 3
    devices_sheet = xlsx_rows(ok_bytes(customer.get("/billing/v1/devices/export?format=xlsx")))
    assert sorted(r[0] for r in devices_sheet[1:]) == sorted([d1, d2])

    # expiry import by sales with bad rows reported
    template = xlsx_rows(ok_bytes(sales.get("/billing/v1/devices/expiry-template")))
    assert template[0] == ("device_id", "expires_on")
    workbook = Workbook()
    for row in (("device_id", "expires_on"), (d2, "2031-01-31"), (f"GHOST-{tag}", "2031-01-31"), (d1, "31/01/2031"), (dx, "2031-01-31")):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    queued = ok(
        sales.post("/billing/v1/devices/expiry-imports", files={"file": ("expiry.xlsx", buffer.getvalue())}, data={"company_id": acme}), 202
    )
    report = wait_until(
        lambda: (r := ok(sales.get(f"/billing/v1/devices/expiry-imports/{queued['id']}")))["status"] == "done" and r, 30, what="the import"
    )
    assert (report["applied_rows"], report["rejected_rows"]) == (1, 3)
    assert [(r["row"], r["code"]) for r in report["rejections"]] == [(3, "unknown_device"), (4, "bad_date"), (5, "out_of_scope")]
    assert ok(support.get(f"/billing/v1/devices/{d2}"))["expires_on"] == "2031-01-31"
    assert ok(support.get(f"/billing/v1/devices/{dx}"))["expires_on"] == soon


def ok_bytes(response: requests.Response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content


def test_success_after_a_failed_sandbox_payment_is_a_409_and_a_new_payment_retries(suite, admin_token):
    """Issue 19: posting success for a failed payment answered callback_status 200 and changed nothing."""
    company = create_organisation(suite, admin_token, "company", f"RETRY {uuid.uuid4().hex[:6]}")
    customer = suite.api(invite_and_log_in(suite, admin_token, company, ["customer"]))
    started = wait_until(lambda: (r := customer.post("/billing/v1/topups", json={"amount_minor": 5000, "currency": "CNY",
                                                                                 "method": "wechat"})).status_code == 201 and r.json(),
                         30, interval=0.5, what="billing to learn the company")
    assert ok(customer.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "failure"}), 202)["callback"] == "queued"
    # billing's worker sends the failure's signed callback; once applied, the payment is settled as failed
    wait_until(lambda: {p["id"]: p["status"] for p in ok(customer.get(f"/billing/v1/orders/{started['order_id']}"))["payments"]}
               .get(started["payment_id"]) == "failed", 30, interval=0.3, what="the failure's callback from billing's worker")
    again = customer.post(f"/billing/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"})
    assert again.status_code == 409 and again.json()["code"] == "payment_already_failed", again.text
    assert "new payment" in again.json()["detail"] and again.json()["order_id"] == started["order_id"]
    assert ok(customer.get("/billing/v1/balance"))["balances"] == []
    retry = ok(customer.post(f"/billing/v1/orders/{started['order_id']}/payments", json={"method": "wechat"},
                             headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert ok(customer.post(f"/billing/v1/sandbox/pay/{retry['payment_id']}", json={"outcome": "success"}), 202)["callback"] == "queued"
    wait_until(lambda: ok(customer.get("/billing/v1/balance"))["balances"] == [{"currency": "CNY", "amount_minor": 5000}],
               30, interval=0.3, what="the retry's callback from billing's worker")
