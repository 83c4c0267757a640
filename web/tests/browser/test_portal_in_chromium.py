"""The portal in a real browser (WEB-5): Debian's Chromium driven by Playwright, the suite as processes.

A tenant is taken from the welcome mail's link through the first sign-in and the password change with
the SMS code, then from the activation mail's link (signed out: sign-in first, then back to the order)
through 订单激活, 新增企业, 权益分配 and 立即查看 (then 重置 client secret and 立即查看 once more);
change requests; the same pages at phone size (375 px, no sideways scrolling) and in English.
axe-core runs on every page: no serious or critical violations. The pages run under their real
Content-Security-Policy (axe is injected through the DevTools protocol, which the policy does not
cover) and any CSP violation the browser reports fails the test.
Screenshots go to web/tests/browser/screenshots/ (git-ignored).
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.testkit import body_text, wait_until
from tests.e2e.steps import PASSWORD_RE, SMS_CODE_RE, new_phone, new_tax_id
from tests.suitekit import RunningSuite, port_offset, start_suite

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = HERE / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LINK_RE = re.compile(r"https?://[^\s<>\"']+")
OPERATION_KEY_RE = re.compile(r"(?:操作密钥|[Oo]peration key)\s*[:：]\s*(\S+)")
REGISTERED_TAX_ID = "91330100716105852F"  # known to the offline registry fixture: 杭州示例网络有限公司


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    if not AXE.exists():
        return f"axe-core is not installed ({AXE}: run `npm ci` in web/tests/browser; .ci/run does)"
    return None


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    reason = _missing()
    if reason and os.environ.get("WEB_BROWSER_TESTS_REQUIRED") == "1":
        pytest.fail(f"the browser tests must run here (WEB_BROWSER_TESTS_REQUIRED=1): {reason}")
    if reason:
        pytest.skip(reason)
    running = start_suite("embedded", Path(tmp_path_factory.mktemp("browser")), port_offset(300), api_workers=1)
    yield running
    running.close()


@pytest.fixture(scope="module")
def browser(suite: RunningSuite) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One browser context (desktop or phone) that checks each page it shows."""

    def __init__(self, browser: Any, width: int, height: int, name: str) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self.context.add_init_script(path=str(AXE))
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.name = name
        self.csp_violations: list[str] = []
        self.page.on("console", lambda message: self.csp_violations.append(message.text)
                     if "Content Security Policy" in message.text else None)
        self.checked: list[str] = []

    def check(self, shot: str) -> None:
        """axe-core on the page as it is (no serious or critical violation), no sideways scroll, a screenshot."""
        page = self.page
        page.wait_for_load_state("networkidle")
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{self.name} {page.url}: " + "; ".join(bad)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{self.name} {page.url} scrolls sideways: {widths}"
        assert not self.csp_violations, self.csp_violations
        page.screenshot(path=str(SHOTS / f"{self.name}-{shot}.png"), full_page=True)
        self.checked.append(page.url)

    def sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label("账号").fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录", exact=True).click()

    def close(self) -> None:
        self.context.close()


def _mail_to(suite: RunningSuite, address: str, containing: str) -> str:
    def found() -> str | None:
        for message in suite.smtp.to(address):
            text = body_text(message)
            if containing in text:
                return text
        return None

    return wait_until(found, 30, what=f"a mail to {address} with {containing}")


def _link(text: str, path: str) -> str:
    return next(link for link in LINK_RE.findall(text) if path in link)


@pytest.fixture(scope="module")
def story(suite: RunningSuite, browser: Any) -> dict[str, Any]:
    """The whole tenant story in a desktop browser; answers what the later checks revisit."""
    platform = suite.api(suite.api().login(*suite.admin_credentials)["access_token"])
    email, phone = f"admin-{uuid.uuid4().hex[:8]}@tenant.test", new_phone()
    created = platform.post("/identity/v1/tenants", json={"name": "苏州示例浏览器测试有限公司", "admin_email": email, "admin_phone": phone})
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]
    welcome = _mail_to(suite, email, "初始密码")
    initial = PASSWORD_RE.search(welcome).group(1)
    password = "Portal-Passw0rd-" + uuid.uuid4().hex[:4]
    visit = Visit(browser, 1280, 900, "desktop")
    page = visit.page

    # The welcome mail's link → 登录 → 修改密码 with 获取验证码 (ID-3).
    page.goto(_link(welcome, "/portal"))
    assert "/portal/login" in page.url
    visit.check("01-login")
    visit.sign_in(email, "wrong-password")
    page.get_by_text("账号或密码错误。").wait_for()
    visit.check("02-login-error")
    visit.sign_in(email, initial)
    page.wait_for_url(re.compile(r"/portal/password"))
    visit.check("03-password-forced")
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("验证码已发送至").wait_for()
    sms = wait_until(lambda: suite.sms_to(phone), 30, what=f"the SMS code to {phone}")
    code = SMS_CODE_RE.search(sms[-1]).group(1)
    page.get_by_label("原密码").fill(initial)
    page.get_by_label("新密码", exact=True).fill(password)
    page.get_by_label("确认新密码").fill(password)
    page.get_by_label("短信验证码").fill(code)
    visit.check("04-password-filled")
    page.get_by_role("button", name="修改密码").click()
    page.get_by_text("密码已修改。").wait_for()
    visit.check("05-home")

    # An order is delivered; its activation mail's link, opened signed out, signs in first and comes back.
    product = f"FP-ISSUE-{uuid.uuid4().hex[:4]}"
    assert platform.post("/entitlements/v1/products", json={"code": product, "name": "发票云开票", "kind": "seat",
                                                            "service_group": "invoice_issuing"}).status_code == 201
    line = {"product_code": product, "quantity": 2, "valid_from": "2026-01-01", "valid_to": "2028-12-31", "serial_number": "SN-BROWSER-1"}

    def delivered() -> dict | None:
        answer = platform.post("/entitlements/v1/orders", json={"tenant_id": tenant_id, "lines": [line]})
        return answer.json() if answer.status_code == 201 else None

    order = wait_until(delivered, 30, interval=0.5, what="the order to be delivered")
    activation = _mail_to(suite, email, order["order_no"])
    key = OPERATION_KEY_RE.search(activation).group(1)
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("已退出登录。").wait_for()
    page.goto(_link(activation, "/portal/activate?order_no="))
    assert "/portal/login" in page.url
    visit.sign_in(email, password)
    page.wait_for_url(re.compile(r"/portal/orders/[^/]+$"))
    assert order["order_no"] in page.content()
    visit.check("06-order-to-activate")

    # 订单激活: a wrong key first (said on the field), then the mailed one with ERP and deployment.
    page.get_by_label("操作密钥").fill("NOT-THE-KEY")
    page.get_by_role("radio", name="星空").check()
    page.get_by_role("radio", name="公有云").check()
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_text("操作密钥无效").first.wait_for()
    visit.check("07-activation-error")
    page.get_by_label("操作密钥").fill(key)
    page.get_by_role("radio", name="星空").check()
    page.get_by_role("radio", name="公有云").check()
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_text("已激活。").wait_for()
    order_url = page.url
    visit.check("08-order-activated")

    # 新增企业: the registry lookup while typing, a bad check character, then two enterprises.
    page.get_by_role("link", name="新增企业").first.click()
    page.get_by_label("企业税号").fill(REGISTERED_TAX_ID[:17] + "A")
    page.locator("#registration").get_by_text("校验码").wait_for()
    page.get_by_label("企业税号").fill(REGISTERED_TAX_ID)
    page.locator("#registration").get_by_text("杭州示例网络有限公司").wait_for()
    page.get_by_label("企业名称").fill("杭州示例网络有限公司")
    visit.check("09-enterprise-lookup")
    page.get_by_role("button", name="确定", exact=True).click()
    page.wait_for_url(order_url)
    second = new_tax_id()
    page.get_by_role("link", name="新增企业").first.click()
    page.get_by_label("企业名称").fill("苏州示例第二有限公司")
    page.get_by_label("企业税号").fill(second)
    page.get_by_role("button", name="确定", exact=True).click()
    page.wait_for_url(order_url)

    # 权益分配: 去分配, tick one tax ID, 下一步; 查看已分配结果; 立即查看 once the client is issued.
    page.get_by_role("link", name=re.compile("去分配")).click()
    visit.check("10-allocate")
    page.get_by_label("杭州示例网络有限公司").check()
    page.get_by_role("button", name="下一步").click()
    page.get_by_text("已为 1 个企业分配").wait_for()
    results_url = page.url

    def reveal_button() -> bool:
        page.goto(results_url)
        return page.get_by_role("button", name=re.compile("立即查看")).count() > 0

    wait_until(reveal_button, 30, interval=1.0, what="the enterprise's API client to be issued")
    visit.check("11-results")
    page.get_by_role("button", name=re.compile("立即查看")).first.click()
    page.get_by_text("client_secret").wait_for()
    secret = page.locator("code.secret").nth(1).inner_text()
    assert len(secret) >= 16
    visit.check("12-credentials")
    page.goto(results_url)
    page.get_by_text(re.compile("已于 .* 查看")).wait_for()
    page.get_by_role("button", name=re.compile("重置 client secret")).click()
    page.get_by_text("client secret 已重置").wait_for()
    visit.check("12b-secret-replaced")
    page.get_by_role("button", name="立即查看", exact=True).click()
    page.get_by_text("client_secret").wait_for()
    assert page.locator("code.secret").nth(1).inner_text() != secret

    # Change requests: a tax-ID replacement with its reason, then its state.
    page.get_by_role("link", name="变更申请").first.click()
    page.get_by_role("radio", name="权益税号变更").check()
    page.get_by_label("需替换的税号（本租户企业）").fill(second)
    page.get_by_label("新税号").fill(new_tax_id())
    page.get_by_label("申请原因").fill("分配时税号填写错误")
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_text("变更申请已提交").wait_for()
    assert "待审核" in page.content()
    visit.check("13-change-requests")

    pages = {"home": page.url.split("/portal")[0] + "/portal/", "orders": page.url.split("/portal")[0] + "/portal/orders",
             "order": order_url, "results": results_url, "enterprises": page.url.split("/portal")[0] + "/portal/enterprises",
             "changes": page.url}
    visit.close()
    return {"email": email, "password": password, "pages": pages, "login": _link(welcome, "/portal"), "tenant_id": tenant_id}


def test_a_tenant_goes_from_the_welcome_mail_to_the_revealed_credentials(story: dict[str, Any]) -> None:
    assert set(story["pages"]) == {"home", "orders", "order", "results", "enterprises", "changes"}


def test_the_pages_fit_a_phone_without_sideways_scrolling(story: dict[str, Any], browser: Any) -> None:
    visit = Visit(browser, 375, 812, "phone")
    visit.page.goto(story["login"])
    visit.check("01-login")
    visit.sign_in(story["email"], story["password"])
    visit.page.wait_for_url(re.compile(r"/portal/$"))
    for name, url in story["pages"].items():
        visit.page.goto(url)
        visit.check(name)
    visit.close()


def test_the_pages_in_english(story: dict[str, Any], browser: Any) -> None:
    visit = Visit(browser, 1280, 900, "english")
    page = visit.page
    page.goto(story["login"])
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Account").fill(story["email"])
    page.get_by_label("Password", exact=True).fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("The account or password is wrong.").wait_for()
    visit.check("01-login-error")
    page.get_by_label("Password", exact=True).fill(story["password"])
    page.get_by_role("button", name="Sign in").click()
    page.goto(story["pages"]["order"])
    page.get_by_role("heading", name="Products of this order").wait_for()
    visit.check("02-order")
    visit.close()


def test_an_invited_admin_sets_a_password_from_the_mailed_link(story: dict[str, Any], suite: RunningSuite, browser: Any) -> None:
    platform = suite.api(suite.api().login(*suite.admin_credentials)["access_token"])
    email = f"invited-{uuid.uuid4().hex[:8]}@tenant.test"
    invited = platform.post("/identity/v1/users", json={"org_id": story["tenant_id"], "email": email, "phone": new_phone(),
                                                        "name": "李四", "roles": ["tenant_admin"]})
    assert invited.status_code == 201, invited.text
    mail = _mail_to(suite, email, "/portal/activate?token=")
    visit = Visit(browser, 375, 812, "invitation")
    page = visit.page

    page.goto(_link(mail, "/portal/activate?token="))
    assert "token=" not in page.url  # out of the address bar at once
    visit.check("01-set-password")
    page.get_by_label("新密码", exact=True).fill("short")
    page.get_by_label("确认新密码").fill("short")
    page.get_by_role("button", name="激活", exact=True).click()
    page.get_by_text("至少 10 个字符。").first.wait_for()
    visit.check("02-too-short")
    password = "Invited-Passw0rd-" + uuid.uuid4().hex[:4]
    page.get_by_label("新密码", exact=True).fill(password)
    page.get_by_label("确认新密码").fill(password)
    page.get_by_role("button", name="激活", exact=True).click()
    page.get_by_text("账号已激活，欢迎使用！").wait_for()
    assert email in page.content()
    visit.check("03-welcome")
    visit.close()
