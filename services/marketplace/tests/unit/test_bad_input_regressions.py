"""Regressions found by schemathesis over the marketplace's OpenAPI (tests/security/test_bad_input.py)."""
from __future__ import annotations

import re

import pytest

from services.marketplace.tests.helpers import Marketplace

UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.mark.parametrize("period", ["0000-01", "1999-12", "3000-01", "2026-13"])
def test_a_settlement_run_for_an_impossible_month_is_refused_without_effect(market: Marketplace, period: str) -> None:
    response = market.client.post("/marketplace/v1/settlements/runs", json={"period": period}, headers=market.staff("finance"))
    assert response.status_code == 422 and "period" in response.get_json()["errors"]
    listed = market.client.get("/marketplace/v1/settlements", headers=market.staff("finance"), query_string={"period": period})
    assert listed.status_code == 422


def test_times_are_served_as_utc_with_a_z(market: Marketplace) -> None:
    me = market.reseller(market.known_reseller())
    customer = market.customer(me)
    solution = market.publish()
    assert UTC_TIME.match(customer["created_at"]) and UTC_TIME.match(customer["updated_at"])
    assert UTC_TIME.match(solution["created_at"])


def test_amounts_beyond_what_is_stored_are_refused(market: Marketplace) -> None:
    too_much = 2**31
    sku = {"code": "SKU-BIG", "name": "大单", "price_minor": too_much, "currency": "CNY", "region": "中国大陆"}
    response = market.client.post("/marketplace/v1/solutions", headers=market.staff(), json={
        "name": "大单方案", "category": "other", "summary": "大单", "skus": [sku]})
    assert response.status_code == 422 and "skus.0.price_minor" in response.get_json()["errors"]


def test_an_order_whose_subtotal_exceeds_what_is_stored_is_refused_without_effect(market: Marketplace) -> None:
    market.publish(code="SKU-DEAR", price_minor=300_000)
    me = market.reseller(market.known_reseller())
    customer = market.customer(me)
    response = market.checkout(me, customer["id"], sku_code="SKU-DEAR", quantity=10_000)
    assert response.status_code == 422 and response.get_json()["code"] == "order_too_large"
    assert "items" in response.get_json()["errors"]
    assert market.client.get("/marketplace/v1/orders", headers=me).get_json()["total"] == 0


@pytest.mark.parametrize("odd", [1.5, "12", True])
def test_money_and_quantities_must_be_json_integers_not_truncated_or_coerced(market: Marketplace, odd: object) -> None:
    market.publish()
    me = market.reseller(market.known_reseller())
    customer = market.customer(me)
    response = market.checkout(me, customer["id"], quantity=odd)  # type: ignore[arg-type]
    assert response.status_code == 422 and "items.0.quantity" in response.get_json()["errors"]
    coupon = market.client.post("/marketplace/v1/coupons", headers=market.staff("sales"),
                                json={"reseller_id": "reseller-a", "amount_minor": odd})
    assert coupon.status_code == 422 and "amount_minor" in coupon.get_json()["errors"]
    assert market.client.get("/marketplace/v1/orders", headers=me).get_json()["total"] == 0


def test_a_patch_naming_no_field_is_422_and_changes_nothing_on_cart_lines_and_dealers(market) -> None:  # noqa: ANN001
    """`{}` built `UPDATE … SET  WHERE` (500); the platform's request guard answers 422 nothing_to_change."""
    market.known_reseller("reseller-a")
    market.publish(code="SKU-A")
    me = market.reseller("reseller-a")
    cart = market.client.post("/marketplace/v1/cart/items", headers=me, json={"sku_code": "SKU-A", "quantity": 2}).get_json()
    dealer = market.client.post("/marketplace/v1/dealers", headers=me, json={"name": "经销商甲"}).get_json()
    for path in (f"/marketplace/v1/cart/items/{cart['items'][0]['id']}", f"/marketplace/v1/dealers/{dealer['id']}"):
        refused = market.client.patch(path, headers=me, json={})
        assert refused.status_code == 422 and refused.get_json()["code"] == "nothing_to_change", refused.get_data()
    assert market.client.get("/marketplace/v1/cart", headers=me).get_json()["items"][0]["quantity"] == 2
    assert market.client.get(f"/marketplace/v1/dealers/{dealer['id']}", headers=me).get_json()["name"] == "经销商甲"
