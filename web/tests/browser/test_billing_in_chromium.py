"""The billing pages in a real browser (issue 20, seed 002): Debian's Chromium driven by Playwright, the suite as processes.

A customer ticks three expired devices on 充值续费, extends them by 12 months (一键续费), confirms the order,
pays with Alipay through the sandbox payment page — first the payment fails, then the retry succeeds — and is
brought back to the order, which turns paid once the provider's signed callback arrived; the devices' expiry
moved by 12 months. Balance and 充值记录. Sales drafts and submits an offline top-up; finance approves it in
one tab, and the same approval sent from a second tab changes nothing (said in words; the balance is credited
once). Sales downloads the expiry template and imports a sheet with bad rows, which are listed in words.
Desktop and 375 px; axe-core, no sideways scrolling and no CSP violation on every page (`Visit.check`).
Screenshots: web/tests/browser/screenshots/billing-*.png (git-ignored).
"""
from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from shared.clock import Clock
from shared.testkit import body_text, wait_until
from tests.e2e.steps import INVITATION_TOKEN_RE, new_phone
from tests.suitekit import RunningSuite, port_offset, start_suite
from web.tests.browser.test_portal_in_chromium import CHROMIUM, CHROMIUM_ARGS, SHOTS, Visit, _missing

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    import os

    reason = _missing()
    if reason and os.environ.get("WEB_BROWSER_TESTS_REQUIRED") == "1":
        pytest.fail(f"the browser tests must run here (WEB_BROWSER_TESTS_REQUIRED=1): {reason}")
    if reason:
        pytest.skip(reason)
    running = start_suite("embedded", Path(tmp_path_factory.mktemp("billing-browser")), port_offset(320), api_workers=1)
    yield running
    running.close()


@pytest.fixture(scope="module")
def browser(suite: RunningSuite) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("billing-*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    return response.json()


def _user(suite: RunningSuite, admin: Any, org_id: str, role: str) -> tuple[str, str]:
    """A user of `role` in `org_id` who accepted the mailed invitation; answers (account, password)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@billing.test"
    ok(admin.post("/identity/v1/users", json={"org_id": org_id, "email": email, "phone": new_phone(), "name": role, "roles": [role]}), 201)
    token = INVITATION_TOKEN_RE.search(body_text(suite.smtp.wait_for(email)[0])).group(1)
    password = "Billing-Passw0rd-" + uuid.uuid4().hex[:6]
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": token, "password": password})
    assert accepted.status_code in (200, 201, 204), accepted.text
    return email, password


@pytest.fixture(scope="module")
def world(suite: RunningSuite) -> dict[str, Any]:
    """A company with three expired devices on a monthly package; its customer, and sales and finance staff."""
    admin = suite.api(suite.api().login(*suite.admin_credentials)["access_token"])
    tag = uuid.uuid4().hex[:6]
    company = ok(admin.post("/identity/v1/organisations", json={"kind": "company", "name": f"浏览器示例客户{tag}有限公司"}), 201)["id"]
    platform = ok(admin.get("/identity/v1/me"))["org_id"]
    people = {role: _user(suite, admin, org, role) for role, org in (("customer", company), ("sales", platform), ("finance", platform),
                                                                     ("support", platform))}
    support = suite.api(suite.api().login(*people["support"])["access_token"])
    wait_until(lambda: support.get(f"/billing/v1/companies?company_id={company}").status_code == 200, 30,
               what="billing to learn the company")
    ok(support.post("/billing/v1/package-categories", json={"code": f"RN{tag}", "name": "续费", "type": "renewal"}), 201)
    ok(support.post("/billing/v1/packages", json={"code": f"PM{tag}", "name": "月付套餐", "category_code": f"RN{tag}", "price_minor": 1000,
                                                  "currency": "CNY", "pricing": "per_month"}), 201)
    expired = (Clock().today() - timedelta(days=5)).isoformat()
    devices = [f"POS-{tag}-{n}" for n in (1, 2, 3)]
    for device_id in devices:
        ok(support.post("/billing/v1/devices", json={"device_id": device_id, "company_id": company, "type": f"POS{tag}",
                                                     "expires_on": expired}), 201)
    ok(support.post("/billing/v1/bindings", json={"company_id": company, "package_code": f"PM{tag}", "device_type": f"POS{tag}"}), 201)
    return {"company": company, "people": people, "devices": devices, "expired": expired, "support": support}


def _base(suite: RunningSuite) -> str:
    """The public address (shared.links: localhost), so the payment page's redirect stays on the session's origin."""
    return suite.url.replace("127.0.0.1", "localhost")


def _sign_in(visit: Visit, suite: RunningSuite, path: str, account: tuple[str, str]) -> None:
    visit.page.goto(_base(suite) + "/portal/login?next=" + path)
    visit.sign_in(*account)
    visit.page.wait_for_url(re.compile(re.escape(path) + "$"))


def _pay_with_alipay(visit: Visit, outcome: str, shot: str) -> None:
    page = visit.page
    page.get_by_role("radio", name="支付宝").check()
    page.get_by_role("button", name=re.compile("^支付 ")).click()
    page.wait_for_url(re.compile("/portal/pay/billing/"))
    page.get_by_text("360.00 CNY").wait_for()
    visit.check(shot)
    page.get_by_role("radio", name=outcome).check()
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_role("link", name="返回订单").click()
    page.wait_for_url(re.compile("/portal/billing/orders/"))


def test_a_customer_renews_three_expired_devices_for_12_months_and_pays_through_the_sandbox(
        suite: RunningSuite, browser: Any, world: dict[str, Any]) -> None:
    visit = Visit(browser, 1280, 900, "billing-desktop")
    page = visit.page
    _sign_in(visit, suite, "/portal/billing/renewals", world["people"]["customer"])
    for device_id in world["devices"]:
        page.get_by_role("cell", name=device_id, exact=True).wait_for()
    visit.check("renewals")

    page.get_by_role("button", name="一键续费").click()
    page.get_by_text("请至少勾选一台设备。").first.wait_for()
    for device_id in world["devices"]:
        page.get_by_label(f"续费 {device_id}").check()
    page.get_by_role("radio", name="12 个月").check()
    page.get_by_role("button", name="一键续费").click()
    page.get_by_text("待确认").first.wait_for()
    page.get_by_text("360.00 CNY").first.wait_for()
    visit.check("order-to-confirm")
    page.get_by_role("button", name="确认订单").click()
    page.get_by_text("待支付").first.wait_for()
    visit.check("order-to-pay")

    page.get_by_role("radio", name="余额").check()
    page.get_by_role("button", name=re.compile("^支付 ")).click()
    page.get_by_text("余额不足以支付此订单").wait_for()
    visit.check("order-too-little-balance")

    _pay_with_alipay(visit, "支付失败", "sandbox-checkout")
    order_url = page.url

    def shows(words: str) -> bool:
        page.goto(order_url)
        return page.get_by_text(words).count() > 0

    wait_until(lambda: shows("失败"), 30, what="the failed payment on the order")
    assert page.get_by_text("待支付").count() > 0
    _pay_with_alipay(visit, "支付成功", "sandbox-checkout-retry")
    wait_until(lambda: shows("已支付"), 30, what="the order paid after the provider's callback")
    visit.check("order-paid")

    customer = suite.api(suite.api().login(*world["people"]["customer"])["access_token"])
    moved = {d["device_id"]: d["expires_on"] for d in ok(customer.get("/billing/v1/devices?page_size=50"))["items"]}
    today = Clock().today()
    assert {moved[d] for d in world["devices"]} == {_plus_months(today, 12).isoformat()}

    page.get_by_role("link", name="余额").first.click()
    page.get_by_text("在线充值").first.wait_for()
    page.get_by_label("金额").fill("1.005")
    page.get_by_role("button", name="充值", exact=True).click()
    page.get_by_text("最多两位小数").wait_for()
    visit.check("balance")
    page.get_by_role("link", name="充值记录").first.click()
    page.locator("table.data").get_by_text("已支付").first.wait_for()
    visit.check("records")

    page.get_by_role("link", name="设备", exact=True).first.click()
    page.get_by_label(f"勾选 {world['devices'][0]}").check()
    page.get_by_role("radio", name="停用").check()
    page.get_by_role("button", name="对勾选的设备执行").click()
    page.get_by_text("已停用 1 台设备").wait_for()
    page.get_by_role("link", name="已停用").click()
    page.get_by_role("cell", name=world["devices"][0], exact=True).wait_for()
    visit.check("devices-deactivated")
    page.get_by_label(f"勾选 {world['devices'][0]}").check()
    page.get_by_role("radio", name="启用").check()
    page.get_by_role("button", name="对勾选的设备执行").click()
    page.get_by_text("已启用 1 台设备").wait_for()
    visit.close()

    phone = Visit(browser, 375, 812, "billing-phone")
    _sign_in(phone, suite, "/portal/billing/records", world["people"]["customer"])
    phone.check("records")
    for path, shot in (("/portal/billing/renewals?view=expiring", "renewals"), (order_url.split("localhost")[1].split("/", 1)[1], "order"),
                       ("/portal/billing/balance", "balance"), ("/portal/billing/devices", "devices")):
        phone.page.goto(_base(suite) + ("/" + path if not path.startswith("/") else path))
        phone.check(shot)
    phone.close()


def _plus_months(day: date, months: int) -> date:
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def test_sales_drafts_an_offline_top_up_and_finance_approves_it_once(suite: RunningSuite, browser: Any, world: dict[str, Any]) -> None:
    sales = Visit(browser, 1280, 900, "billing-sales")
    page = sales.page
    _sign_in(sales, suite, "/portal/billing/offline-topups", world["people"]["sales"])
    page.get_by_label("公司").select_option(world["company"])
    page.get_by_label("付款方（与银行转账一致）").fill("浏览器示例客户财务部")
    page.get_by_label("金额").fill("abc")
    page.get_by_label("银行流水号").fill("BANK-" + uuid.uuid4().hex[:6])
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("请输入金额，例如 100.00。").first.wait_for()
    sales.check("offline-topup-error")
    page.get_by_label("金额").fill("1000.00")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("草稿已保存").wait_for()
    sales.check("offline-topup-draft")
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("已提交财务审核。").wait_for()
    topup_path = page.url.split("localhost", 1)[1].split("/", 1)[1]

    # 批量导入到期日: one good row, a bad date and an unknown device; the report lists the two bad rows
    page.get_by_role("link", name="批量导入到期日").click()
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="下载模板").click()
    assert downloaded.value.suggested_filename == "expiry-template.xlsx"
    sheet = Workbook()
    for row in (("device_id", "expires_on"), (world["devices"][2], "2030-01-31"), (world["devices"][1], "31.01.2030"),
                ("NO-SUCH-DEVICE", "2030-01-31")):
        sheet.active.append(row)
    content = io.BytesIO()
    sheet.save(content)
    page.get_by_label("填好的模板（XLSX）").set_input_files(files=[{"name": "expiry.xlsx", "buffer": content.getvalue(),
                                                                   "mimeType": "application/octet-stream"}])
    page.get_by_role("button", name="上传并导入").click()
    page.get_by_text("已完成").wait_for(timeout=60_000)
    page.get_by_role("cell", name="不是日期（YYYY-MM-DD，2000-2199 年）").wait_for()
    page.get_by_role("cell", name="没有此设备").wait_for()
    sales.check("expiry-import")
    support = world["support"]
    assert ok(support.get(f"/billing/v1/devices/{world['devices'][2]}"))["expires_on"] == "2030-01-31"
    sales.close()

    finance = Visit(browser, 375, 812, "billing-finance")
    _sign_in(finance, suite, "/" + topup_path, world["people"]["finance"])
    second_tab = finance.context.new_page()
    second_tab.goto(_base(suite) + "/" + topup_path)
    finance.page.get_by_text("版本 1").first.wait_for()
    finance.check("review")
    for tab in (finance.page, second_tab):
        tab.get_by_role("radio", name="通过").check()
    finance.page.get_by_role("button", name="提交审核结果").click()
    finance.page.get_by_text("已通过：金额已计入该公司余额。").wait_for()
    finance.check("approved")
    second_tab.get_by_role("button", name="提交审核结果").click()
    second_tab.get_by_text("该申请已审核，您的点击未作任何更改。").wait_for()
    finance.page = second_tab
    finance.check("approved-again")
    finance.close()

    customer = suite.api(suite.api().login(*world["people"]["customer"])["access_token"])
    balances = ok(customer.get("/billing/v1/balance"))["balances"]
    assert [b["amount_minor"] for b in balances if b["currency"] == "CNY"] == [100000]
