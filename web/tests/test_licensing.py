"""Seed 004 in the portal: 许可授权 per service group with (A/AA), authorize / cancel / sync, the 60-day lock, serial numbers."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from web.tests.conftest import post_form, sign_in
from web.tests.fake_gateway import FakeState
from web.tests.fake_portal import USCC, portal_data


@pytest.fixture()
def signed_in(client: FlaskClient) -> FlaskClient:
    sign_in(client)
    return client


def _license(state: FakeState, tax_id: str) -> dict:
    return next(lic for lic in portal_data(state)["licenses"]["invoice_issuing"] if lic["tax_id"] == tax_id)


def test_the_list_shows_counts_serial_numbers_lock_and_sync_errors_in_words(signed_in: FlaskClient) -> None:
    html = signed_in.get("/portal/licensing").get_data(as_text=True)

    for words in ("许可授权", "开票 (1/5)", "收票 (0/5)", "SN-ISSUE-1", "需要，未维护", "A 为已授权数，AA 为总授权数",
                  "同步失败", "权益平台无剩余可分配权益", "同步成功", "2027-01-30 起可重新授权", "取消授权", "同步许可授权",
                  "同步取消授权", "维护产品序列号", "张三"):
        assert words in html, words
    assert "no_remaining_entitlement" not in html


def test_authorize_or_cancel_needs_the_confirmation_and_changes_nothing_without_it(signed_in: FlaskClient, state: FakeState) -> None:
    before = len(state.calls)

    response = post_form(signed_in, "/portal/licensing", {"tax_ids": USCC[0], "action": "cancel"})

    assert response.status_code == 422
    assert 'id="confirm-error">请勾选确认税号无误：取消授权后 60 天内不允许重新授权。' in response.get_data(as_text=True)
    assert _license(state, USCC[0])["authorization_status"] == "authorized"
    assert not any(path == "/licensing/v1/cancellations" for _, path, _, _ in state.calls[before:])


def test_nothing_ticked_is_an_error_in_words(signed_in: FlaskClient) -> None:
    response = post_form(signed_in, "/portal/licensing", {"action": "sync_authorize"})

    assert response.status_code == 422 and "请至少勾选一个企业。" in response.get_data(as_text=True)


def test_cancel_then_the_lock_is_said_with_its_unlock_date(signed_in: FlaskClient, state: FakeState) -> None:
    response = post_form(signed_in, "/portal/licensing", {"tax_ids": USCC[0], "action": "cancel", "confirm": "y"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已取消授权；60 天内不允许重新授权。" in html and "2027-02-05 起可重新授权。" in html
    assert _license(state, USCC[0])["authorization_status"] == "unauthorized"


def test_a_locked_tax_id_is_refused_per_enterprise_in_words(signed_in: FlaskClient, state: FakeState) -> None:
    response = post_form(signed_in, "/portal/licensing", {"tax_ids": [USCC[1], USCC[0]], "action": "authorize", "confirm": "y"})

    html = " ".join(response.get_data(as_text=True).split())
    assert "取消授权不足 60 天，暂不允许重新授权。 2027-01-30 起可重新授权。" in html
    assert "已授权：同一企业仅支持授权一次。" in html and "2 家企业中 0 家已完成" in html
    assert _license(state, USCC[1])["authorization_status"] == "unauthorized"


def test_sync_needs_no_confirmation_and_sends_the_action(signed_in: FlaskClient, state: FakeState) -> None:
    response = post_form(signed_in, "/portal/licensing", {"tax_ids": USCC[0], "action": "sync_authorize"})

    assert response.status_code == 200 and "已重新发起同步。" in response.get_data(as_text=True)
    [body] = [body for method, path, body, _ in state.calls if path == "/licensing/v1/syncs"]
    assert body == {"service_group": "invoice_issuing", "tax_ids": [USCC[0]], "action": "authorize"}


def test_an_unknown_action_changes_nothing(signed_in: FlaskClient, state: FakeState) -> None:
    response = post_form(signed_in, "/portal/licensing", {"tax_ids": USCC[0], "action": "delete", "confirm": "y"})

    assert response.status_code == 422 and "请选择对所勾选企业的操作。" in response.get_data(as_text=True)
    assert not any(path.startswith("/licensing/v1/") and method == "POST" for method, path, _, _ in state.calls)


def test_the_other_group_and_filters_are_passed_on(signed_in: FlaskClient) -> None:
    receiving = signed_in.get("/portal/licensing?group=invoice_receiving").get_data(as_text=True)
    unauthorized = signed_in.get("/portal/licensing?status=unauthorized").get_data(as_text=True)
    searched = signed_in.get("/portal/licensing?q=杭州").get_data(as_text=True)

    assert "暂无企业" in receiving and 'aria-current="page">\n        收票 (0/5)' in receiving
    assert USCC[1] in unauthorized and f'value="{USCC[0]}"' not in unauthorized
    assert f'value="{USCC[0]}"' in searched and f'value="{USCC[1]}"' not in searched


def test_serial_numbers_are_kept_and_a_too_long_one_changes_nothing(signed_in: FlaskClient, state: FakeState) -> None:
    page = signed_in.get("/portal/licensing/serial-numbers").get_data(as_text=True)
    assert 'value="SN-ISSUE-1"' in page and "开票管理产品序列号" in page

    bad = post_form(signed_in, "/portal/licensing/serial-numbers", {"invoice_issuing": "X" * 65, "invoice_receiving": ""})
    assert bad.status_code == 422 and portal_data(state)["serials"]["invoice_issuing"] == "SN-ISSUE-1"
    good = post_form(signed_in, "/portal/licensing/serial-numbers", {"invoice_issuing": "SN-NEW", "invoice_receiving": "SN-RCV"})
    assert good.status_code == 302
    assert portal_data(state)["serials"] == {"invoice_issuing": "SN-NEW", "invoice_receiving": "SN-RCV"}


def test_licensings_issue_19_shape_licensed_total_and_the_authorizers_name(signed_in: FlaskClient, state: FakeState) -> None:
    state.extra["licensing_issue19"] = True
    before = len(state.calls)

    html = signed_in.get("/portal/licensing").get_data(as_text=True)

    assert "开票 (1/5)" in html and '<span class="badge">1/5</span>' in html and "张三 (from the token)" in html
    assert not any(path.startswith("/identity/") for _, path, _, _ in state.calls[before:])
