"""Support staff in the portal: find a tenant or an order by number, resend the activation mail, review change requests."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from web.tests.conftest import post_form, sign_in
from web.tests.fake_gateway import PASSWORD, FakeState, deliver
from web.tests.fake_portal import portal_data


@pytest.fixture()
def support(client: FlaskClient, state: FakeState) -> FlaskClient:
    state.users["help@fapiaoyun.test"] = {"id": "u-s", "org_id": "platform", "roles": ["support"], "password": PASSWORD,
                                          "must_change": False}
    state.extra["order_no_filter"] = True
    sign_in(client, "help@fapiaoyun.test")
    return client


def test_support_staff_land_on_the_search(support: FlaskClient) -> None:
    response = support.get("/portal/")

    assert response.status_code == 302 and response.headers["Location"] == "/portal/support"
    html = support.get("/portal/support").get_data(as_text=True)
    assert "售后支持" in html and "租户名称" in html and "订单编号" in html and "审核变更申请" in html
    assert "租户权益看板" not in html  # no tenant pages in the menu


def test_a_tenant_is_found_by_name(support: FlaskClient) -> None:
    html = support.get("/portal/support?q=苏州").get_data(as_text=True)

    assert "苏州示例科技有限公司" in html and 'href="/portal/support/tenants/t-1"' in html and "杭州另一家" not in html
    tenant = support.get("/portal/support/tenants/t-1").get_data(as_text=True)
    assert "admin@tenant.test" in tenant and "boss@tenant.test" in tenant


def test_an_empty_search_or_unknown_order_is_said_on_the_field(support: FlaskClient) -> None:
    empty = support.get("/portal/support?q=&order_no=")
    unknown = support.get("/portal/support?order_no=EO-404")

    assert empty.status_code == 422 and 'id="q-error">请输入租户名称或订单编号。' in empty.get_data(as_text=True)
    assert unknown.status_code == 422 and 'id="order_no-error">没有该编号的订单。' in unknown.get_data(as_text=True)


def test_an_order_found_by_number_gets_a_new_activation_mail(support: FlaskClient, state: FakeState) -> None:
    order = deliver(state, "EO-777")

    found = support.get("/portal/support?order_no=EO-777").get_data(as_text=True)
    assert "订单 EO-777" in found and f'href="/portal/support/orders/{order["id"]}"' in found
    page = support.get(f"/portal/support/orders/{order['id']}").get_data(as_text=True)
    assert "重发激活邮件" in page and "SN-ISSUE-1" in page

    response = post_form(support, f"/portal/support/orders/{order['id']}", {},
                         action=f"/portal/support/orders/{order['id']}/resend-activation", follow_redirects=True)

    assert "订单 EO-777 的新激活邮件正在发送；原操作密钥已失效。" in response.get_data(as_text=True)
    assert portal_data(state)["resent"] == [order["id"]]


def test_resending_for_an_activated_order_is_refused_in_words(support: FlaskClient, state: FakeState) -> None:
    order = deliver(state, "EO-778")
    order["status"] = "activated"

    response = post_form(support, f"/portal/support/orders/{order['id']}", {},
                         action=f"/portal/support/orders/{order['id']}/resend-activation", follow_redirects=True)

    assert "该订单已激活。" in response.get_data(as_text=True) and portal_data(state)["resent"] == []


def _pending_request(state: FakeState) -> dict:
    request = {"id": "c-1", "tenant_id": "t-1", "kind": "enterprise_move", "status": "pending", "details": {"tax_id": "91330100716105852F"},
               "reason": "公司并入集团", "chargeable": False, "submitted_at": "2026-12-07T04:00:00Z", "review_comment": None}
    state.extra["entitlements"]["changes"].append(request)
    return request


def test_a_change_request_is_reviewed(support: FlaskClient, state: FakeState) -> None:
    request = _pending_request(state)
    page = support.get("/portal/support/change-requests").get_data(as_text=True)
    assert "公司并入集团" in page and "企业变更租户" in page and "待审核" in page
    assert ">苏州示例科技有限公司</a>" in page and "<dt>企业税号</dt><dd>91330100716105852F</dd>" in page

    response = post_form(support, "/portal/support/change-requests", {"decision": "approve", "comment": "同意"},
                         action="/portal/support/change-requests/c-1/review")

    assert response.status_code == 302 and request["status"] == "approved" and request["review_comment"] == "同意"


def test_a_review_without_decision_is_an_error_and_changes_nothing(support: FlaskClient, state: FakeState) -> None:
    request = _pending_request(state)

    response = post_form(support, "/portal/support/change-requests", {"comment": "?"}, action="/portal/support/change-requests/c-1/review")

    assert response.status_code == 422 and 'id="decision-c-1-error">请选择通过或驳回。' in response.get_data(as_text=True)
    assert request["status"] == "pending"


def test_tenant_admins_cannot_open_support_pages(client: FlaskClient) -> None:
    sign_in(client)

    response = client.get("/portal/support?q=苏州")

    assert response.status_code == 403 and "您的角色无权执行此操作" in response.get_data(as_text=True)


def test_an_id_in_the_address_stays_one_path_segment_of_the_api_call(support: FlaskClient) -> None:
    """`t-1?x=1` must not become the tenant `t-1` with a query: the id is quoted into the API's path."""
    response = support.get("/portal/support/tenants/t-1%3Fx=1")

    assert response.status_code == 404
