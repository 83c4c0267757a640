"""Seed 000 in the portal: 租户权益看板 and its drill-downs, tenant admins, traffic with its chart and 导出, 数电 info."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from web.tests.conftest import csrf_of, post_form, sign_in
from web.tests.fake_gateway import FakeState
from web.tests.fake_portal import USCC, portal_data


@pytest.fixture()
def signed_in(client: FlaskClient) -> FlaskClient:
    sign_in(client)
    return client


def test_a_tenant_admin_lands_on_the_dashboard_in_the_manuals_words(signed_in: FlaskClient) -> None:
    html = signed_in.get("/portal/").get_data(as_text=True)

    for words in ("租户权益看板", "查看租户详情", "查看租户管理员", "未分配完成的交易订单", "产品到期续费提醒", "产品使用配置信息",
                  "流量耗用", "票量耗用明细", "租户数电信息", "更新数电信息", "苏州示例科技有限公司"):
        assert words in html, words
    assert 'href="/portal/expiring?window=expired"' in html and 'href="/portal/orders/unallocated"' in html
    assert 'href="/portal/products/FP-ISSUE"' in html and 'href="/portal/usage?product_code=OCR"' in html
    assert 'href="/portal/usage?product_code=SMS">短信耗用明细<' in html


def test_the_digital_invoice_info_is_issued_and_its_qr_code_drawn_here(signed_in: FlaskClient, state: FakeState) -> None:
    response = post_form(signed_in, "/portal/", {}, action="/portal/digital-invoice")
    html = signed_in.get(response.headers["Location"]).get_data(as_text=True)

    assert "数电信息已更新。" in html and "SD-ACT-0001" in html
    assert re.search(r'<img class="qr" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"[^>]*alt="数电激活码 SD-ACT-0001 的二维码"', html)
    assert "更新数电信息</button>" not in html  # still valid: no update button, the rule in words
    assert "数电信息过期后可更新。" in html


def test_updating_valid_digital_invoice_info_is_refused_in_words(signed_in: FlaskClient, state: FakeState) -> None:
    post_form(signed_in, "/portal/", {}, action="/portal/digital-invoice")
    before = dict(portal_data(state)["digital"])

    response = post_form(signed_in, "/portal/", {}, action="/portal/digital-invoice", follow_redirects=True)

    assert "当前数电信息仍在有效期内，过期后方可更新。" in response.get_data(as_text=True)
    assert portal_data(state)["digital"] == before


def test_unallocated_orders_link_to_allocation(signed_in: FlaskClient, state: FakeState) -> None:
    from web.tests.fake_gateway import deliver

    order = deliver(state, "EO-1")
    order["status"] = "activated"

    html = signed_in.get("/portal/orders/unallocated").get_data(as_text=True)

    assert "EO-1" in html and f'href="/portal/orders/{order["id"]}"' in html and ">去分配<" in html


def test_renewal_reminders_show_serial_numbers_and_the_enterprises_holding_them(signed_in: FlaskClient) -> None:
    soon = signed_in.get("/portal/expiring?window=30").get_data(as_text=True)
    expired = signed_in.get("/portal/expiring?window=expired").get_data(as_text=True)
    unknown = signed_in.get("/portal/expiring?window=7")

    assert "SN-SOON" in soon and f"杭州示例网络有限公司 ({USCC[0]})" in soon and "EO-SOON" in soon
    assert "SN-OLD" in expired and "已过期 342 天" in expired and "流量产品：税号共享" in expired
    assert unknown.status_code == 200 and "SN-SOON" in unknown.get_data(as_text=True)


def test_product_usage_configuration_lists_enterprises_with_their_authorisation(signed_in: FlaskClient) -> None:
    html = signed_in.get("/portal/products/FP-ISSUE").get_data(as_text=True)

    assert "产品使用配置信息" in html and USCC[0] in html and "client-e-9" in html and "开票" in html


def test_traffic_page_draws_a_chart_and_filters_the_ledger(signed_in: FlaskClient) -> None:
    html = signed_in.get(f"/portal/usage?product_code=OCR&tax_id={USCC[1].lower()}&date_from=2026-12-01").get_data(as_text=True)

    assert '<svg class="chart"' in html and 'role="img"' in html and "<title id=" in html and "每日耗用量：发票识别" in html
    rows = re.findall(r'<td data-label="业务单号">(ref-\d)</td>', html)
    assert rows == ["ref-1", "ref-3", "ref-5"]  # tax ID upper-cased, only its rows
    assert (f'href="/portal/usage/export?format=xlsx&amp;product_code=OCR&amp;tax_id={USCC[1].lower()}&amp;date_from=2026-12-01">'
            "导出 XLSX</a>") in html


def test_a_period_ending_before_it_starts_is_an_error_on_the_field(signed_in: FlaskClient, state: FakeState) -> None:
    before = len(state.calls)

    response = signed_in.get("/portal/usage?date_from=2026-12-05&date_to=2026-12-01")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="date_to-error">结束日期早于开始日期。', html)
    assert not any(path == "/entitlements/v1/usage" for _, path, _, _ in state.calls[before:])


def test_export_passes_the_apis_file_through_with_the_filters(signed_in: FlaskClient, state: FakeState) -> None:
    response = signed_in.get(f"/portal/usage/export?format=csv&tax_id={USCC[0]}")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="usage.csv"'
    body = response.get_data(as_text=True)
    assert USCC[0] in body and USCC[1] not in body
    bad = signed_in.get("/portal/usage/export?format=csv&date_from=2026-12-05&date_to=2026-12-01")
    assert bad.status_code == 302 and "/portal/usage?" in bad.headers["Location"]


def test_tenant_details_and_admins_with_the_last_admin_rule_in_words(signed_in: FlaskClient) -> None:
    html = signed_in.get("/portal/tenant").get_data(as_text=True)

    assert "租户详情" in html and "租户管理员" in html and "admin@tenant.test" in html
    assert "最后一个启用的管理员不能禁用" in html and "最后一个启用的管理员</span>" in html
    assert "/admins/u-1/disable" not in html


def test_disabling_the_last_admin_is_refused_in_words_and_changes_nothing(signed_in: FlaskClient, state: FakeState) -> None:
    response = post_form(signed_in, "/portal/tenant", {}, action="/portal/tenant/admins/u-1/disable", follow_redirects=True)

    assert "这是最后一个启用的管理员" in response.get_data(as_text=True)
    assert portal_data(state)["admins"][0]["status"] == "active"


def test_an_admin_is_added_then_disabled_and_enabled(signed_in: FlaskClient, state: FakeState) -> None:
    added = post_form(signed_in, "/portal/tenant", {"email": "li@tenant.test", "phone": "13900000000", "name": "李四"})
    assert added.status_code == 302
    new = portal_data(state)["admins"][-1]
    assert new["roles"] == ["tenant_admin"] and new["org_id"] == "t-1" and new["phone"] == "13900000000"
    new["status"] = "active"

    disabled = post_form(signed_in, "/portal/tenant", {}, action=f"/portal/tenant/admins/{new['id']}/disable", follow_redirects=True)
    assert "li@tenant.test 已禁用，不能再登录。" in disabled.get_data(as_text=True) and new["status"] == "disabled"
    post_form(signed_in, "/portal/tenant", {}, action=f"/portal/tenant/admins/{new['id']}/enable")
    assert new["status"] == "active"


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"email": "not-an-address", "phone": "13900000000"}, "email", "邮箱地址格式不正确。"),
    ({"email": "li@tenant.test", "phone": "call me"}, "phone", "请输入手机号：数字，可以 + 开头。"),
    ({"email": "admin@tenant.test", "phone": "13900000000"}, "email", "该邮箱的账号已存在。"),
])
def test_a_bad_admin_is_shown_on_its_field_and_nothing_is_added(signed_in: FlaskClient, state: FakeState, data, field, words) -> None:
    response = post_form(signed_in, "/portal/tenant", data)

    assert response.status_code == 422
    assert f'id="{field}-error">{words}' in response.get_data(as_text=True)
    assert len(portal_data(state)["admins"]) == 1


def test_an_admin_is_edited_and_a_bad_phone_changes_nothing(signed_in: FlaskClient, state: FakeState) -> None:
    page = signed_in.get("/portal/tenant/admins/u-1").get_data(as_text=True)
    assert 'value="13800000000"' in page and "编辑管理员" in page

    bad = signed_in.post("/portal/tenant/admins/u-1", data={"csrf_token": csrf_of(page), "email": "admin@tenant.test", "phone": "x"})
    assert bad.status_code == 422 and portal_data(state)["admins"][0]["phone"] == "13800000000"
    good = signed_in.post("/portal/tenant/admins/u-1", data={"csrf_token": csrf_of(page), "email": "admin@tenant.test",
                                                              "phone": "13700000000", "name": "张三丰"})
    assert good.status_code == 302 and portal_data(state)["admins"][0]["phone"] == "13700000000"
    assert signed_in.get("/portal/tenant/admins/nobody").status_code == 404


def test_pages_speak_english_too(signed_in: FlaskClient) -> None:
    post_form(signed_in, "/portal/", {"lang": "en", "next": "/portal/"}, action="/portal/language")

    html = signed_in.get("/portal/").get_data(as_text=True)

    assert "Tenant dashboard" in html and "Renewal reminders" in html and "Update 数电 information" in html
