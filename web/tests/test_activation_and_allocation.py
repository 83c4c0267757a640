"""Seed 001 in the portal: 订单激活 from the mail's link, 新增企业, 权益分配, 查看已分配结果, 立即查看, change requests."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from web.tests.conftest import csrf_of, post_form, sign_in
from web.tests.fake_gateway import FOREIGN_TAX_ID, FakeState, deliver

TAX_IDS = ["91330100716105852F", "9144030071526726XG"]


@pytest.fixture()
def signed_in(client: FlaskClient) -> FlaskClient:
    sign_in(client)
    return client


def _activate(client: FlaskClient, order: dict, key: str | None = None, erp: str = "cosmic", deployment: str = "public_cloud"):
    return post_form(client, f"/portal/orders/{order['id']}", {"operation_key": key or order["operation_key"], "erp": erp,
                                                               "deployment": deployment})


def _add(client: FlaskClient, tax_id: str, name: str = "示例企业有限公司"):
    return post_form(client, "/portal/enterprises", {"name": name, "tax_id": tax_id})


def test_the_mail_link_finds_the_order_by_number_even_without_the_api_filter(signed_in: FlaskClient, state: FakeState) -> None:
    deliver(state, "SO-1")
    order = deliver(state, "SO-2")

    response = signed_in.get("/portal/activate?order_no=SO-2", follow_redirects=False)
    landed = signed_in.get(signed_in.get(response.headers["Location"]).headers["Location"])

    assert landed.status_code == 200
    assert "订单 SO-2" in landed.get_data(as_text=True) and order["id"] in landed.request.path
    state.extra["order_no_filter"] = True
    assert signed_in.get("/portal/orders/by-number/SO-1").headers["Location"] == "/portal/orders/o-1"


def test_an_unknown_order_number_is_a_404_in_words(signed_in: FlaskClient) -> None:
    response = signed_in.get("/portal/orders/by-number/SO-404")

    assert response.status_code == 404
    assert "没有交付给本租户的订单 SO-404" in response.get_data(as_text=True)


def test_activation_with_the_operation_key_erp_and_deployment(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)
    page = signed_in.get(f"/portal/orders/{order['id']}").get_data(as_text=True)
    assert "订单激活" in page and "操作密钥" in page and "星瀚" in page and "其他" in page

    response = _activate(signed_in, order, deployment="private_cloud")

    assert response.status_code == 302
    after = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "已激活" in after and "私有云" in after and "去分配" in after
    assert state.extra["entitlements"]["orders"][order["id"]]["erp"] == "cosmic"


def test_a_wrong_operation_key_is_shown_on_its_field_and_activates_nothing(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)

    response = _activate(signed_in, order, key="NOT-THE-KEY")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "操作密钥无效，请从激活邮件中重新复制。" in html
    assert re.search(r'id="operation_key-error">密钥不存在。', html)
    assert state.extra["entitlements"]["orders"][order["id"]]["status"] == "delivered"


def test_activation_without_erp_is_refused_by_the_form(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)

    response = post_form(signed_in, f"/portal/orders/{order['id']}", {"operation_key": order["operation_key"]})

    assert response.status_code == 422
    assert "请选择对接的 ERP。" in response.get_data(as_text=True)
    assert state.extra["entitlements"]["orders"][order["id"]]["status"] == "delivered"


def test_adding_an_enterprise_and_the_clear_errors(signed_in: FlaskClient, state: FakeState) -> None:
    added = _add(signed_in, TAX_IDS[0].lower())
    bad_check = _add(signed_in, TAX_IDS[0][:17] + "G")
    foreign = _add(signed_in, FOREIGN_TAX_ID)
    twice = _add(signed_in, TAX_IDS[0])

    assert added.status_code == 302
    assert "校验码（最后一位）不符，税号可能输错了。" in bad_check.get_data(as_text=True)
    foreign_html = foreign.get_data(as_text=True)
    assert foreign.status_code == 409
    assert f"企业【{FOREIGN_TAX_ID}】在租户【苏州XXXX有限公司】下已有数据" in foreign_html
    assert "/portal/change-requests?kind=enterprise_move&amp;tax_id=" + FOREIGN_TAX_ID in foreign_html
    assert "该企业已添加。" in twice.get_data(as_text=True)
    assert len(state.extra["entitlements"]["enterprises"]) == 1


def test_the_registry_lookup_while_typing(signed_in: FlaskClient) -> None:
    found = signed_in.get(f"/portal/enterprises/lookup?tax_id={TAX_IDS[1]}", headers={"HX-Request": "true"}).get_data(as_text=True)
    bad = signed_in.get(f"/portal/enterprises/lookup?tax_id={TAX_IDS[1][:17]}A").get_data(as_text=True)
    foreign = signed_in.get(f"/portal/enterprises/lookup?tax_id={FOREIGN_TAX_ID}").get_data(as_text=True)
    short = signed_in.get("/portal/enterprises/lookup?tax_id=9133").get_data(as_text=True)

    assert "工商信息：深圳示例技术有限公司" in found and "<html" not in found
    assert "校验码（最后一位）不符" in bad
    assert "苏州XXXX有限公司" in foreign
    assert short.strip() == ""


def test_allocation_then_results_then_the_one_time_reveal(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)
    _activate(signed_in, order)
    for tax_id in TAX_IDS:
        _add(signed_in, tax_id)
    line = order["lines"][0]
    page = signed_in.get(f"/portal/orders/{order['id']}/lines/{line['id']}/allocate").get_data(as_text=True)
    assert "勾选税号分配使用组织" in page and "未分配" in page

    allocated = signed_in.post(f"/portal/orders/{order['id']}/lines/{line['id']}/allocate",
                               data={"csrf_token": csrf_of(page), "enterprise_ids": ["e-1"]})
    assert allocated.status_code == 302
    results = signed_in.get(allocated.headers["Location"]).get_data(as_text=True)
    assert "查看已分配结果" in results and TAX_IDS[0] in results and "SN-ISSUE-1" in results and "立即查看" in results

    shown = signed_in.post("/portal/credentials/client-e-1/reveal", data={"csrf_token": csrf_of(results)})
    again = signed_in.post("/portal/credentials/client-e-1/reveal", data={"csrf_token": csrf_of(results)})
    assert "secret-0-of-client-e-1" in shown.get_data(as_text=True) and "key-of-client-e-1" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    assert again.status_code == 409
    assert "授权信息已查看过一次" in again.get_data(as_text=True) and "secret-of" not in again.get_data(as_text=True)
    held = signed_in.get(f"/portal/orders/{order['id']}/lines/{line['id']}/allocate").get_data(as_text=True)
    assert re.search(r'value="e-1"[^>]*disabled', held)


def test_allocating_more_than_is_left_says_how_many_are_left_and_takes_nothing(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state, quantity=1)
    _activate(signed_in, order)
    for tax_id in TAX_IDS:
        _add(signed_in, tax_id)
    line = order["lines"][0]
    url = f"/portal/orders/{order['id']}/lines/{line['id']}/allocate"

    token = csrf_of(signed_in.get(url).get_data(as_text=True))
    response = signed_in.post(url, data={"csrf_token": token, "enterprise_ids": ["e-1", "e-2"]})
    nothing = signed_in.post(url, data={"csrf_token": token})

    assert response.status_code == 422
    assert "该产品仅剩 1 个可分配权益。" in response.get_data(as_text=True)
    assert "请至少勾选一个企业。" in nothing.get_data(as_text=True)
    assert state.extra["entitlements"]["allocations"] == []


def test_change_requests_are_submitted_and_their_state_shown(signed_in: FlaskClient, state: FakeState) -> None:
    _add(signed_in, TAX_IDS[0])
    page = signed_in.get(f"/portal/change-requests?kind=enterprise_move&tax_id={FOREIGN_TAX_ID}").get_data(as_text=True)
    assert f'value="{FOREIGN_TAX_ID}"' in page and re.search(r'<input checked[^>]*value="enterprise_move"', page)

    missing = post_form(signed_in, "/portal/change-requests", {"kind": "tax_id_replacement", "reason": "税号填错"})
    bad_tax = post_form(signed_in, "/portal/change-requests", {"kind": "tax_id_replacement", "reason": "税号填错", "old_tax_id": TAX_IDS[0],
                                                               "new_tax_id": TAX_IDS[1][:17] + "A"})
    not_ours = post_form(signed_in, "/portal/change-requests", {"kind": "tax_id_replacement", "reason": "税号填错",
                                                                "old_tax_id": TAX_IDS[1], "new_tax_id": TAX_IDS[0]})
    moved = post_form(signed_in, "/portal/change-requests", {"kind": "enterprise_move", "reason": "本公司企业", "tax_id": FOREIGN_TAX_ID})

    assert missing.status_code == 422 and "该变更类型必填。" in missing.get_data(as_text=True)
    assert "校验码（最后一位）不符" in bad_tax.get_data(as_text=True)
    assert "本租户没有该税号的企业。" in not_ours.get_data(as_text=True)
    assert moved.status_code == 302
    listed = signed_in.get("/portal/change-requests").get_data(as_text=True)
    assert "企业变更租户" in listed and "待审核" in listed and FOREIGN_TAX_ID in listed
    replaced = post_form(signed_in, "/portal/change-requests", {"kind": "tax_id_replacement", "reason": "税号填错",
                                                                "old_tax_id": TAX_IDS[0].lower(), "new_tax_id": TAX_IDS[1]})
    assert replaced.status_code == 302
    assert [c["details"].get("enterprise_id") for c in state.extra["entitlements"]["changes"]] == [None, "e-1"]
    assert f"{TAX_IDS[0]} → {TAX_IDS[1]}" in signed_in.get("/portal/change-requests").get_data(as_text=True)


def test_the_pages_in_english(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)
    post_form(signed_in, "/portal/", {"lang": "en", "next": "/portal/"}, action="/portal/language")

    html = _activate(signed_in, order, key="NOT-THE-KEY").get_data(as_text=True)

    assert "This operation key is not valid. Copy it again from the activation mail." in html
    assert "Unknown key." in html


def test_a_viewed_secret_is_marked_and_can_be_replaced_then_viewed_once_more(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)
    _activate(signed_in, order)
    _add(signed_in, TAX_IDS[0])
    line = order["lines"][0]
    url = f"/portal/orders/{order['id']}/lines/{line['id']}/allocate"
    signed_in.post(url, data={"csrf_token": csrf_of(signed_in.get(url).get_data(as_text=True)), "enterprise_ids": ["e-1"]})
    results_url = f"/portal/orders/{order['id']}/results"
    token = csrf_of(signed_in.get(results_url).get_data(as_text=True))
    signed_in.post("/portal/credentials/client-e-1/reveal", data={"csrf_token": token})

    results = signed_in.get(results_url).get_data(as_text=True)
    refused = signed_in.post("/portal/credentials/client-e-1/reveal", data={"csrf_token": token}).get_data(as_text=True)
    rotated = signed_in.post("/portal/credentials/client-e-1/rotate", data={"csrf_token": token}).get_data(as_text=True)
    shown = signed_in.post("/portal/credentials/client-e-1/reveal", data={"csrf_token": token}).get_data(as_text=True)

    assert "已于 2026-12-07 13:00 查看" in results and "/portal/credentials/client-e-1/rotate" in results
    assert "重置 client secret" in refused
    assert "client secret 已重置，旧密钥立即失效" in rotated
    assert "secret-1-of-client-e-1" in shown


def test_the_tax_ids_to_tick_come_a_page_at_a_time_and_can_be_found_by_tax_id(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state)
    _activate(signed_in, order)
    firms = state.extra["entitlements"]["enterprises"]
    for n in range(60):
        firms[f"e-{n}"] = {"id": f"e-{n}", "name": f"企业{n:02d}", "tax_id": f"TAX{n:02d}", "api_client_id": None, "registration": None}
    url = f"/portal/orders/{order['id']}/lines/{order['lines'][0]['id']}/allocate"

    first = signed_in.get(url).get_data(as_text=True)
    second = signed_in.get(url + "?page=2").get_data(as_text=True)
    found = signed_in.get(url + "?tax_id=tax07").get_data(as_text=True)
    missing = signed_in.get(url + "?tax_id=NOPE").get_data(as_text=True)

    assert "企业49" in first and "企业50" not in first and "第 1 / 2 页" in first and "page=2" in first
    assert "企业50" in second and "企业59" in second
    assert "企业07" in found and "企业08" not in found
    assert "本租户没有税号为 NOPE 的企业。" in missing


def test_allocation_results_come_a_page_at_a_time(signed_in: FlaskClient, state: FakeState) -> None:
    order = deliver(state, quantity=30)
    _activate(signed_in, order)
    line = order["lines"][0]
    for n in range(25):
        state.extra["entitlements"]["allocations"].append({
            "id": f"a-{n}", "order_line_id": line["id"], "enterprise_id": f"e-{n}", "enterprise_name": f"企业{n:02d}",
            "tax_id": f"TAX{n:02d}",
            "product_code": "FP-ISSUE", "product_name": "发票云开票", "right_type": "invoice_issuing", "serial_number": "SN-ISSUE-1",
            "valid_from": "2026-01-01", "valid_to": "2027-12-31", "authorisation": None})

    first = signed_in.get(f"/portal/orders/{order['id']}/results").get_data(as_text=True)
    second = signed_in.get(f"/portal/orders/{order['id']}/results?line={line['id']}&page=2").get_data(as_text=True)

    assert "企业19" in first and "企业20" not in first and "第 1 / 2 页" in first
    assert "企业24" in second and "企业19" not in second
