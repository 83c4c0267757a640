"""The dashboard (seed 000), 许可授权 (seed 004) and the support search in Chromium, at desktop and phone size.

A tenant with an activated order (a seat line ending within 30 days, a traffic line), an enterprise
holding a seat, some traffic used and an enterprise imported into its ERP is made through the API; the
browser then walks 租户权益看板 and each of its panels (更新数电信息 draws the QR code), the admins page
(a bad phone refused in words), 流量耗用 with its chart and 导出, 许可授权 (许可授权 without the
confirmation refused, then with it), and as support staff the tenant and order search, 重发激活邮件 and
the change-request review. axe-core, the CSP and the page width are checked on every page (`Visit.check`);
screenshots go to web/tests/browser/screenshots/ (dashboard-*, phone-dashboard-*).
"""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from shared.testkit import body_text
from tests.e2e.steps import INVITATION_TOKEN_RE, activate_order, create_tenant, deliver_order, new_phone, new_tax_id
from tests.suitekit import RunningSuite
from web.tests.browser.test_portal_in_chromium import Visit, browser, suite  # noqa: F401 (fixtures, started for this module)

pytestmark = pytest.mark.e2e

REGISTERED_TAX_ID = "91330100716105852F"


@pytest.fixture(scope="module")
def world(suite: RunningSuite) -> dict[str, Any]:  # noqa: F811
    """A tenant with something in every panel, and a support user; made through the API."""
    admin_token = suite.api().login(*suite.admin_credentials)["access_token"]
    platform = suite.api(admin_token)
    tenant = create_tenant(suite, admin_token, name=f"苏州看板测试{uuid.uuid4().hex[:4]}有限公司")
    as_tenant = suite.api(tenant.access_token)
    seat, traffic = f"FP-ISSUE-{uuid.uuid4().hex[:4]}", f"OCR-{uuid.uuid4().hex[:4]}"
    assert platform.post("/entitlements/v1/products", json={"code": seat, "name": "发票云开票", "kind": "seat",
                                                            "service_group": "invoice_issuing"}).status_code == 201
    assert platform.post("/entitlements/v1/products", json={"code": traffic, "name": "发票识别", "kind": "traffic",
                                                            "traffic_category": "ocr"}).status_code == 201
    today = date.today()
    order = deliver_order(platform, tenant.tenant_id, [
        {"product_code": seat, "quantity": 3, "valid_from": (today - timedelta(days=300)).isoformat(),
         "valid_to": (today + timedelta(days=20)).isoformat(), "serial_number": "SN-SOON-1"},
        {"product_code": traffic, "quantity": 1000, "valid_from": (today - timedelta(days=300)).isoformat(),
         "valid_to": (today + timedelta(days=200)).isoformat(), "serial_number": "SN-OCR-1"}])
    order = activate_order(suite, tenant, order)
    firm = as_tenant.post("/entitlements/v1/enterprises", json={"name": "杭州示例网络有限公司", "tax_id": REGISTERED_TAX_ID})
    assert firm.status_code == 201, firm.text
    seat_line = next(line for line in order["lines"] if line["product_code"] == seat)
    allocated = as_tenant.post("/entitlements/v1/allocations",
                               json={"order_line_id": seat_line["id"], "enterprise_ids": [firm.json()["id"]]})
    assert allocated.status_code == 201, allocated.text
    for units in (3, 5, 2):
        used = as_tenant.post("/entitlements/v1/usage", json={"product_code": traffic, "tax_id": REGISTERED_TAX_ID, "units": units,
                                                              "reference": f"INV-{units}"})
        assert used.status_code == 201, used.text
    assert as_tenant.put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False}).status_code == 200
    imported = as_tenant.post("/licensing/v1/enterprises", json={"tax_id": REGISTERED_TAX_ID, "name": "杭州示例网络有限公司"})
    assert imported.status_code == 201, imported.text
    second = new_tax_id()
    assert as_tenant.post("/licensing/v1/enterprises", json={"tax_id": second, "name": "苏州示例第二有限公司"}).status_code == 201
    change = as_tenant.post("/entitlements/v1/change-requests", json={"kind": "tax_id_replacement", "enterprise_id": firm.json()["id"],
                                                                      "new_tax_id": new_tax_id(), "reason": "分配时税号填写错误"})
    assert change.status_code == 201, change.text
    delivered = deliver_order(platform, tenant.tenant_id, [
        {"product_code": seat, "quantity": 1, "valid_from": today.isoformat(), "valid_to": (today + timedelta(days=365)).isoformat()}])

    platform_org = platform.get("/identity/v1/me").json()["org_id"]
    support_email = f"support-{uuid.uuid4().hex[:8]}@fapiaoyun.test"
    invited = platform.post("/identity/v1/users", json={"org_id": platform_org, "email": support_email, "phone": new_phone(),
                                                        "name": "售后", "roles": ["support"]})
    assert invited.status_code == 201, invited.text
    token = INVITATION_TOKEN_RE.search(body_text(suite.smtp.wait_for(support_email)[0])).group(1)
    support_password = "Support-Passw0rd-" + uuid.uuid4().hex[:4]
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": token, "password": support_password})
    assert accepted.status_code in (200, 201), accepted.text
    return {"tenant": tenant, "second": second, "pending_order": delivered, "tenant_name": platform.get(
        f"/identity/v1/tenants/{tenant.tenant_id}").json()["name"], "support": (support_email, support_password), "traffic": traffic}


def _base(suite: RunningSuite) -> str:  # noqa: F811
    return suite.url.rstrip("/") + "/portal"


def _signed_in(browser: Any, suite: RunningSuite, width: int, height: int, name: str, who: tuple[str, str]) -> Visit:  # noqa: F811
    visit = Visit(browser, width, height, name)
    visit.page.goto(_base(suite) + "/login")
    visit.sign_in(*who)
    visit.page.wait_for_url(re.compile(r"/portal/(support)?$"))
    return visit


def test_the_dashboard_and_licensing_at_desktop_size(world: dict[str, Any], suite: RunningSuite, browser: Any) -> None:  # noqa: F811
    tenant = world["tenant"]
    visit = _signed_in(browser, suite, 1280, 900, "dashboard", (tenant.email, tenant.password))
    page = visit.page

    page.get_by_role("heading", name="租户权益看板").wait_for()
    assert world["tenant_name"] in page.content()
    visit.check("01-board")
    page.get_by_role("button", name="更新数电信息").click()
    page.get_by_text("数电信息已更新。").wait_for()
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    visit.check("02-digital-invoice")

    page.get_by_role("link", name="查看租户管理员").click()
    page.get_by_role("heading", name="租户管理员").wait_for()
    assert "最后一个启用的管理员" in page.content()
    page.get_by_label("邮箱").fill(f"second-{uuid.uuid4().hex[:6]}@tenant.test")
    page.get_by_label("手机号").fill("call me")
    page.get_by_role("button", name="确定", exact=True).click()
    page.get_by_text("请输入手机号：数字，可以 + 开头。").first.wait_for()
    visit.check("03-admins-error")

    page.goto(_base(suite) + "/")
    page.get_by_role("link", name=re.compile("30 天内到期")).click()
    page.get_by_text("SN-SOON-1").wait_for()
    assert "杭州示例网络有限公司" in page.content()
    visit.check("04-expiring")
    page.goto(_base(suite) + "/")
    page.get_by_role("link", name=re.compile("1 家企业")).click()
    page.get_by_role("heading", name=re.compile("产品使用配置信息")).wait_for()
    visit.check("05-product")
    page.goto(_base(suite) + "/")
    page.get_by_role("link", name=re.compile("票量耗用明细")).click()
    page.locator("svg.chart").first.wait_for()
    assert page.locator("svg.chart rect.bar").evaluate_all("bars => bars.filter(b => Number(b.getAttribute('height')) > 0).length") == 1
    assert page.get_by_text("INV-5").count() == 1
    visit.check("06-usage")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename == "usage.csv"
    page.get_by_label("开始日期").fill("2030-01-02")
    page.get_by_label("结束日期").fill("2030-01-01")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("结束日期早于开始日期。").first.wait_for()
    visit.check("07-usage-error")

    page.get_by_role("link", name="许可授权").first.click()
    page.get_by_role("heading", name="许可授权").first.wait_for()
    page.get_by_label("杭州示例网络有限公司").check()
    page.get_by_role("button", name="许可授权", exact=True).click()
    page.get_by_text("请勾选确认税号无误").first.wait_for()
    visit.check("08-licensing-unconfirmed")
    page.get_by_label("杭州示例网络有限公司").check()
    page.get_by_label("我已确认税号无误").check()
    page.get_by_role("button", name="许可授权", exact=True).click()
    page.get_by_text("已授权，正在同步许可授权。").wait_for()
    visit.check("09-licensing-authorized")
    page.get_by_role("link", name="维护产品序列号").click()
    page.get_by_label("开票管理产品序列号").wait_for()
    visit.check("10-serial-numbers")
    visit.close()


def test_support_finds_a_tenant_and_an_order_resends_and_reviews(world: dict[str, Any], suite: RunningSuite,  # noqa: F811
                                                                 browser: Any) -> None:  # noqa: F811
    visit = _signed_in(browser, suite, 1280, 900, "support", world["support"])
    page = visit.page

    page.get_by_label("租户名称").fill(world["tenant_name"][:6])
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=world["tenant_name"]).wait_for()
    visit.check("01-tenant-found")
    page.get_by_label("租户名称").fill("")
    page.get_by_label("订单号").fill(world["pending_order"]["order_no"])
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="打开订单").click()
    page.get_by_role("button", name="重发激活邮件").click()
    page.get_by_text("新激活邮件正在发送").wait_for()
    visit.check("02-order-resent")
    page.get_by_role("link", name="审核变更申请").first.click()
    page.get_by_text("分配时税号填写错误").wait_for()
    visit.check("03-change-requests")
    visit.close()


@pytest.mark.parametrize("who", ["tenant", "support"])
def test_the_pages_fit_a_phone(world: dict[str, Any], suite: RunningSuite, browser: Any, who: str) -> None:  # noqa: F811
    credentials = (world["tenant"].email, world["tenant"].password) if who == "tenant" else world["support"]
    visit = _signed_in(browser, suite, 375, 812, f"phone-{who}", credentials)
    pages = (["/", "/tenant", "/orders/unallocated", "/expiring?window=30", f"/usage?product_code={world['traffic']}", "/licensing",
              "/licensing/serial-numbers"] if who == "tenant" else
             [f"/support?q={world['tenant_name'][:6]}", f"/support/tenants/{world['tenant'].tenant_id}", "/support/change-requests"])
    for index, path in enumerate(pages):
        visit.page.goto(_base(suite) + path)
        visit.check(f"{index:02d}")
    visit.close()


def test_an_order_number_is_found_by_support_in_english(world: dict[str, Any], suite: RunningSuite, browser: Any) -> None:  # noqa: F811
    visit = _signed_in(browser, suite, 1280, 900, "support-english", world["support"])
    page = visit.page
    page.get_by_role("button", name="English").click()
    page.get_by_label("Order number").fill("EO-DOES-NOT-EXIST")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No order has this number.").wait_for()
    visit.check("01-unknown-order")
    visit.close()
