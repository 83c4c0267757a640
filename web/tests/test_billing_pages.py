"""Seed 002 in the portal: 充值续费 → confirm → pay (balance, online through the sandbox page), balance and
online top-up, 充值记录 with filters and export, offline top-ups (sales drafts and submits, finance reviews once)."""
from __future__ import annotations

import io
import re

import pytest
import requests
from cachelib import SimpleCache
from flask import Flask
from flask.testing import FlaskClient

from web.app import create_app
from web.gateway_client import GatewayClient
from web.tests.conftest import GATEWAY, csrf_of, post_form, sign_in
from web.tests.fake_billing import billing_data, register_billing
from web.tests.fake_gateway import PASSWORD, FakeState, WsgiTransport, fake_gateway


@pytest.fixture()
def app(state: FakeState, tmp_path) -> Flask:
    for name, roles in (("buyer@company.test", ["customer"]), ("sales@staff.test", ["sales"]), ("finance@staff.test", ["finance"])):
        state.users[name] = {"id": f"u-{name}", "org_id": "c-1", "roles": roles, "password": PASSWORD, "must_change": False}
    gateway = fake_gateway(state)
    register_billing(gateway, state)
    http = requests.Session()
    http.mount(GATEWAY, WsgiTransport(gateway))
    app = create_app({"secret_key": "test-secret", "session_dir": str(tmp_path), "trusted_proxies": 1},
                     gateway=GatewayClient(GATEWAY, http=http), store=SimpleCache())
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def buyer(client: FlaskClient) -> FlaskClient:
    sign_in(client, "buyer@company.test")
    return client


def _renew(client: FlaskClient, devices: list[str], months: str = "12", custom: str = ""):
    return post_form(client, "/portal/billing/renewals", {"device_ids": devices, "months": months, "custom_months": custom})


def _confirmed_order(client: FlaskClient) -> str:
    location = _renew(client, ["D-1", "D-2", "D-3"]).headers["Location"]
    post_form(client, location, {"step": "confirm"})
    return location


def test_the_renewals_page_lists_expired_devices_in_the_manuals_words(buyer: FlaskClient) -> None:
    page = buyer.get("/portal/billing/renewals").get_data(as_text=True)

    assert "示例客户有限公司" in page
    assert "充值续费" in page and "D-1" in page and "已过期" in page and "一键续费" in page and "12 个月" in page


def test_renewing_three_devices_for_12_months_drafts_the_order_to_confirm(buyer: FlaskClient, state: FakeState) -> None:
    response = _renew(buyer, ["D-1", "D-2", "D-3"])

    assert response.status_code == 302
    page = buyer.get(response.headers["Location"]).get_data(as_text=True)
    assert "待确认" in page and "360.00 CNY" in page and "确认订单" in page
    order = billing_data(state)["orders"]["O-1"]
    assert [i["months"] for i in order["items"]] == [12, 12, 12] and order["status"] == "draft"


@pytest.mark.parametrize(("data", "words"), [
    ({"device_ids": [], "months": "12"}, "请至少勾选一台设备。"),
    ({"device_ids": ["D-1"]}, "请选择延期时长。"),
    ({"device_ids": ["D-1"], "months": "custom", "custom_months": ""}, "请填写月数。"),
    ({"device_ids": ["D-1"], "months": "custom", "custom_months": "121"}, "1 到 120 个月。"),
    ({"device_ids": ["D-1"], "months": "custom", "custom_months": "x"}, "1 到 120 个月。"),
    ({"device_ids": ["D-404"], "months": "6"}, "所勾选的设备中有未知的或不属于贵公司的设备。"),
])
def test_bad_renewals_come_back_on_the_form_and_draft_nothing(buyer: FlaskClient, state: FakeState, data: dict, words: str) -> None:
    response = post_form(buyer, "/portal/billing/renewals", data)

    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert billing_data(state)["orders"] == {}


def test_a_custom_number_of_months_is_sent(buyer: FlaskClient, state: FakeState) -> None:
    _renew(buyer, ["D-2"], "custom", "7")

    assert billing_data(state)["orders"]["O-1"]["items"][0]["months"] == 7


def test_confirming_then_paying_by_balance_moves_the_expiry(buyer: FlaskClient, state: FakeState) -> None:
    billing_data(state)["balances"]["CNY"] = 100_000
    location = _confirmed_order(buyer)
    assert "待支付" in buyer.get(location).get_data(as_text=True)

    paid = post_form(buyer, location, {"step": "pay", "pay-method": "balance"})

    assert paid.status_code == 302
    page = buyer.get(location).get_data(as_text=True)
    assert "已支付" in page and "2027-12-08" in page
    assert billing_data(state)["balances"]["CNY"] == 100_000 - 36_000
    assert billing_data(state)["devices"]["D-1"]["expires_on"] == "2027-12-08"


def test_too_little_balance_says_so_and_changes_nothing(buyer: FlaskClient, state: FakeState) -> None:
    location = _confirmed_order(buyer)

    refused = post_form(buyer, location, {"step": "pay", "pay-method": "balance"})

    assert refused.status_code == 422
    assert "余额不足以支付此订单（0.00 CNY）" in refused.get_data(as_text=True)
    assert billing_data(state)["orders"]["O-1"]["status"] == "pending_payment"


def test_paying_online_goes_to_the_payment_page_which_leads_back_to_the_order(buyer: FlaskClient, state: FakeState) -> None:
    location = _confirmed_order(buyer)

    started = post_form(buyer, location, {"step": "pay", "pay-method": "alipay"})

    target = started.headers["Location"]
    assert target.startswith("http://suite.test/portal/pay/billing/PM-1?") and "back=%2Fportal%2Fbilling%2Forders%2FO-1" in target
    state.extra["payments"] = {"PM-1": None}
    page = buyer.get(target.removeprefix("http://suite.test")).get_data(as_text=True)
    assert 'href="/portal/billing/orders/O-1"' in page


def test_a_payment_page_does_not_lead_back_outside_the_portal(client: FlaskClient) -> None:
    page = client.get("/portal/pay/billing/P-1?back=https://evil.test/").get_data(as_text=True)

    assert 'href="https://evil.test/"' not in page and "返回订单" not in page


def test_paypal_for_a_cny_order_is_not_offered_nor_accepted(buyer: FlaskClient, state: FakeState) -> None:
    location = _confirmed_order(buyer)
    assert "PayPal" not in buyer.get(location).get_data(as_text=True)

    refused = post_form(buyer, location, {"step": "pay", "pay-method": "paypal"})

    assert refused.status_code == 422 and billing_data(state)["payments"] == {}


def test_a_double_click_on_pay_starts_one_payment(buyer: FlaskClient, state: FakeState) -> None:
    location = _confirmed_order(buyer)
    html = buyer.get(location).get_data(as_text=True)
    key = re.search(r'name="pay-idempotency_key"[^>]*value="([^"]+)"', html).group(1)
    for _ in range(2):
        buyer.post(location, data={"csrf_token": csrf_of(html), "step": "pay", "pay-method": "wechat", "pay-idempotency_key": key})

    assert list(billing_data(state)["payments"]) == ["PM-1"]


def test_balance_history_and_online_top_up(buyer: FlaskClient, state: FakeState) -> None:
    billing_data(state)["entries"].append({"id": 1, "currency": "CNY", "amount_minor": 5000, "kind": "topup", "reference": "T-0",
                                          "created_at": "2026-12-08T00:00:00Z"})
    page = buyer.get("/portal/billing/balance").get_data(as_text=True)
    assert "余额" in page and "在线充值" in page and "50.00 CNY" in page

    started = post_form(buyer, "/portal/billing/balance", {"amount": "100.50", "currency": "CNY", "method": "wechat"})

    assert started.headers["Location"].startswith("http://suite.test/portal/pay/billing/PM-T?")
    assert billing_data(state)["online_topups"] == [{"amount_minor": 10050, "currency": "CNY", "method": "wechat"}]


@pytest.mark.parametrize(("data", "words"), [
    ({"amount": "abc", "currency": "CNY", "method": "wechat"}, "请输入金额"),
    ({"amount": "1.005", "currency": "CNY", "method": "wechat"}, "最多两位小数"),
    ({"amount": "0", "currency": "CNY", "method": "wechat"}, "0.01"),
    ({"amount": "10", "currency": "CNY", "method": "paypal"}, "微信支付和支付宝支付人民币"),
])
def test_bad_top_ups_stay_on_the_form(buyer: FlaskClient, state: FakeState, data: dict, words: str) -> None:
    response = post_form(buyer, "/portal/billing/balance", data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422 and words in page
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)<', page) + re.findall(r'role="alert"><p>([^<]*)<', page)
    assert len(errors) == 1 and errors[0].count("。") == 1, errors  # one sentence, in words
    assert not billing_data(state).get("online_topups")


def test_order_records_filter_and_export(buyer: FlaskClient, state: FakeState) -> None:
    _confirmed_order(buyer)
    page = buyer.get("/portal/billing/records?kind=renewal&status=pending_payment&from=2026-12-01&to=2026-12-31"
                     "&company_id=c-1&scope=direct")
    assert page.status_code == 200 and "RN20261208001" in page.get_data(as_text=True) and "充值记录" in page.get_data(as_text=True)
    assert state.extra["orders_query"]["from"] == "2026-12-01" and state.extra["orders_query"]["kind"] == "renewal"
    assert (state.extra["orders_query"]["company_id"], state.extra["orders_query"]["scope"]) == ("c-1", "direct")

    exported = buyer.get("/portal/billing/records/export?format=csv&kind=renewal&from=2026-12-01")

    assert exported.status_code == 200 and exported.headers["Content-Disposition"] == 'attachment; filename="orders.csv"'
    assert "订单号" in exported.get_data(as_text=True)
    assert state.extra["export_query"] == {"format": "csv", "kind": "renewal", "from": "2026-12-01"}


def test_bad_record_filters_are_said_in_words(buyer: FlaskClient, state: FakeState) -> None:
    bad = buyer.get("/portal/billing/records?from=31.12.2026&kind=nonsense")
    assert bad.status_code == 422 and "请输入日期，例如 2026-01-31。" in bad.get_data(as_text=True)
    assert "from" not in state.extra["orders_query"] and "kind" not in state.extra["orders_query"]
    unknown = buyer.get("/portal/billing/records?company_id=c-404")
    assert unknown.status_code == 422 and "计费系统中没有该公司。" in unknown.get_data(as_text=True)
    backwards = buyer.get("/portal/billing/records?from=2026-12-31&to=2026-12-01")
    assert "结束日期早于开始日期。" in backwards.get_data(as_text=True)


def _draft(client: FlaskClient, **over: str):
    return post_form(client, "/portal/billing/offline-topups", {"company_id": "c-1", "payer": "示例客户有限公司", "currency": "CNY",
                                                                "amount": "1000.00", "reference": "BANK-1", **over})


def test_sales_drafts_edits_submits_and_finance_approves_once(client: FlaskClient, state: FakeState) -> None:
    sign_in(client, "sales@staff.test")
    location = _draft(client).headers["Location"]
    assert "草稿" in client.get(location).get_data(as_text=True)
    post_form(client, location, {"step": "edit", "edit-company_id": "c-1", "edit-payer": "示例", "edit-currency": "CNY",
                                 "edit-amount": "1200", "edit-reference": "BANK-1"})
    post_form(client, location, {"step": "submit"})
    topup = billing_data(state)["topups"]["OT-1"]
    assert (topup["status"], topup["version"], topup["amount_minor"]) == ("submitted", 2, 120000)
    client.post("/portal/logout", data={"csrf_token": ""})
    with client.session_transaction() as session:
        session.clear()

    sign_in(client, "finance@staff.test")
    page = client.get(location).get_data(as_text=True)
    assert "审核" in page and "版本 2" in page
    csrf = csrf_of(page)
    form = {"csrf_token": csrf, "step": "review", "review-decision": "approve", "review-version": "2"}
    first = client.post(location, data=form)
    second = client.post(location, data=form)

    assert first.status_code == 302
    assert second.status_code == 422 and "该申请已审核，您的点击未作任何更改。" in second.get_data(as_text=True)
    assert billing_data(state)["balances"]["CNY"] == 120000
    assert "已通过" in client.get(location).get_data(as_text=True)


@pytest.mark.parametrize(("data", "words"), [
    ({"amount": "-5"}, "0.01"),
    ({"payer": ""}, "必填。"),
    ({"company_id": ""}, "必填。"),
    ({"amount": "1.234"}, "最多两位小数"),
])
def test_bad_offline_top_ups_stay_on_the_form(client: FlaskClient, state: FakeState, data: dict, words: str) -> None:
    sign_in(client, "sales@staff.test")

    response = _draft(client, **data)

    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert billing_data(state)["topups"] == {}


def test_a_return_needs_a_comment_and_an_old_version_is_refused(client: FlaskClient, state: FakeState) -> None:
    sign_in(client, "sales@staff.test")
    location = _draft(client).headers["Location"]
    post_form(client, location, {"step": "submit"})
    with client.session_transaction() as session:
        session.clear()
    sign_in(client, "finance@staff.test")

    no_comment = post_form(client, location, {"step": "review", "review-decision": "return", "review-comment": ""})
    assert no_comment.status_code == 422 and "请说明原因" in no_comment.get_data(as_text=True)
    page = client.get(location).get_data(as_text=True)
    stale = client.post(location, data={"csrf_token": csrf_of(page), "step": "review", "review-decision": "approve", "review-version": "9"})
    assert stale.status_code == 422 and "打开后该申请已被修改" in stale.get_data(as_text=True)
    assert billing_data(state)["topups"]["OT-1"]["status"] == "submitted" and billing_data(state)["balances"]["CNY"] == 0


def test_the_navigation_shows_the_billing_pages_by_role(client: FlaskClient) -> None:
    sign_in(client, "buyer@company.test")
    page = client.get("/portal/billing/renewals").get_data(as_text=True)
    assert 'href="/portal/billing/balance"' in page and 'href="/portal/billing/offline-topups"' not in page


def test_devices_are_deactivated_and_reactivated_many_at_once(buyer: FlaskClient, state: FakeState) -> None:
    assert "停用" in buyer.get("/portal/billing/devices?view=expired").get_data(as_text=True)

    done = post_form(buyer, "/portal/billing/devices?view=expired", {"device_ids": ["D-1", "D-2"], "action": "deactivate"},
                     action="/portal/billing/devices?view=expired")

    assert done.status_code == 302
    deactivated = buyer.get("/portal/billing/devices?view=deactivated").get_data(as_text=True)
    assert "已停用 2 台设备" in deactivated and "D-1" in deactivated and "D-3" not in deactivated
    post_form(buyer, "/portal/billing/devices?view=deactivated", {"device_ids": ["D-1"], "action": "reactivate"})
    assert [d["status"] for d in billing_data(state)["devices"].values()] == ["active", "deactivated", "active"]


@pytest.mark.parametrize(("data", "words"), [
    ({"device_ids": [], "action": "deactivate"}, "请至少勾选一台设备。"),
    ({"device_ids": ["D-1"]}, "请选择停用或启用。"),
    ({"device_ids": ["D-1", "D-404"], "action": "deactivate"}, "未找到，或无权查看。"),
])
def test_bad_device_batches_stay_on_the_form_and_change_nothing(buyer: FlaskClient, state: FakeState, data: dict, words: str) -> None:
    response = post_form(buyer, "/portal/billing/devices?view=expired", data, action="/portal/billing/devices?view=expired")

    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert {d["status"] for d in billing_data(state)["devices"].values()} == {"active"}


def _upload(client: FlaskClient, content: bytes, name: str = "expiry.xlsx"):
    html = client.get("/portal/billing/expiry-imports").get_data(as_text=True)
    return client.post("/portal/billing/expiry-imports", data={"csrf_token": csrf_of(html), "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_sales_downloads_the_template_uploads_a_sheet_and_follows_the_import(client: FlaskClient, state: FakeState) -> None:
    sign_in(client, "sales@staff.test")
    assert client.get("/portal/billing/expiry-template").data == b"PK-template"

    started = _upload(client, b"PK" + b"x" * (2 * 1024 * 1024))  # over the app's 1 MiB default: the sheet's own limit applies

    assert started.status_code == 302
    job = billing_data(state)["imports"]["I-1"]
    assert job["size"] == 2 * 1024 * 1024 + 2
    running = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "导入中" in running and 'hx-trigger="every 2s"' in running and "读取 2 / 4 行" in running
    job.update(status="done", processed_rows=4, rejected_rows=2, percent=100.0,
               rejections=[{"row": 3, "device_id": "NOPE", "code": "unknown_device", "detail": "unknown"},
                           {"row": 4, "device_id": "D-1", "code": "bad_date", "detail": "bad"}])
    done = client.get(started.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已完成" in done and "hx-trigger" not in done and "没有此设备" in done and "NOPE" in done and "<html" not in done


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"", "", "请选择填好的模板。"),
    (b"PK", "expiry.csv", "请上传 .xlsx 格式的模板。"),
    (b"device,date", "expiry.xlsx", "这不是到期日模板"),
])
def test_bad_uploads_stay_on_the_form_and_start_nothing(client: FlaskClient, state: FakeState, content: bytes, name: str,
                                                        words: str) -> None:
    sign_in(client, "sales@staff.test")

    response = _upload(client, content, name)

    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert not billing_data(state).get("imports")


@pytest.mark.parametrize(("user", "paths"), [
    ("buyer@company.test", ["/portal/billing/renewals", "/portal/billing/devices", "/portal/billing/balance", "/portal/billing/records",
                            "/portal/billing/orders/O-1"]),
    ("sales@staff.test", ["/portal/billing/offline-topups", "/portal/billing/offline-topups/OT-1", "/portal/billing/expiry-imports"]),
    ("finance@staff.test", ["/portal/billing/records", "/portal/billing/offline-topups/OT-1"]),
])
def test_billing_pages_have_no_inline_script_or_style(client: FlaskClient, state: FakeState, user: str, paths: list[str]) -> None:
    sign_in(client, "sales@staff.test")
    _draft(client)
    with client.session_transaction() as session:
        session.clear()
    sign_in(client, "buyer@company.test")
    _renew(client, ["D-1"])
    with client.session_transaction() as session:
        session.clear()
    sign_in(client, user)
    for path in paths:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>" not in html and "<style" not in html and " style=" not in html and " onclick=" not in html, path
