"""The payment page every online payment's redirect_url names (/portal/pay/<service>/<id>), with the sandbox."""
from __future__ import annotations

from flask.testing import FlaskClient

from web.tests.conftest import post_form
from web.tests.fake_gateway import FakeState


def test_the_payer_sees_the_payment_and_ends_it_without_signing_in(client: FlaskClient, state: FakeState) -> None:
    page = client.get("/portal/pay/billing/P-1").get_data(as_text=True)
    assert "128.00 CNY" in page and "支付宝" in page

    paid = post_form(client, "/portal/pay/billing/P-1", {"outcome": "success"})

    assert paid.status_code == 200
    assert "已支付" in paid.get_data(as_text=True)
    assert state.extra["payments"]["P-1"] == "success"


def test_a_marketplace_payment_fails_in_words(client: FlaskClient, state: FakeState) -> None:
    failed = post_form(client, "/portal/pay/marketplace/P-1?method=wechat", {"outcome": "failure"})

    assert "支付失败" in failed.get_data(as_text=True)
    assert state.extra["payments"]["P-1"] == "failure"


def test_an_unknown_payment_or_service_is_not_found(client: FlaskClient, state: FakeState) -> None:
    assert client.get("/portal/pay/billing/P-404").status_code == 404
    assert client.get("/portal/pay/payroll/P-1").status_code == 404


def test_no_outcome_chosen_is_refused_by_the_form(client: FlaskClient, state: FakeState) -> None:
    response = post_form(client, "/portal/pay/billing/P-1", {})

    assert "请选择支付结果。" in response.get_data(as_text=True)
    assert state.extra["payments"]["P-1"] is None
