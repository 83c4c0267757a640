"""Checkout: server-side totals, the contract acceptance, coupons used once, rebate within the balance."""
from __future__ import annotations

from sqlalchemy import insert

from services.marketplace.adapters.orm import rebate_accounts
from services.marketplace.tests.helpers import Marketplace


def give_rebate(market: Marketplace, reseller_id: str, amount: int) -> None:
    with market.context.session_factory() as session:
        session.execute(insert(rebate_accounts).values(reseller_id=reseller_id, balance_minor=amount, currency="CNY"))
        session.commit()


def test_the_server_computes_the_total_and_ignores_client_amounts(market: Marketplace) -> None:
    market.publish(price_minor=10700)
    me = market.reseller()
    customer = market.customer(me)
    response = market.checkout(me, customer["id"], quantity=2, total_minor=1, remark="请尽快交付")
    assert response.status_code == 422
    response = market.checkout(me, customer["id"], quantity=2, remark="请尽快交付", expected_close_date="2026-02-01")
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert (order["subtotal_minor"], order["total_minor"], order["status"]) == (21400, 21400, "pending_payment")
    assert order["tax_minor"] == 1211 and order["lines"][0]["unit_price_minor"] == 10700
    assert order["customer"]["company"] == "甲公司" and order["salesperson"] == "admin@a.test"
    assert [m["status"] for m in order["milestones"]] == ["pending_payment"]


def test_the_contract_must_be_accepted(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    response = market.checkout(me, market.customer(me)["id"], accept_contract=False)
    assert response.status_code == 422 and response.get_json()["code"] == "contract_not_accepted"


def test_bad_checkouts_are_refused_and_create_nothing(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    customer_id = market.customer(me)["id"]
    assert market.checkout(me, customer_id, remark="备" * 151).status_code == 422
    assert market.checkout(me, customer_id, quantity=0).status_code == 422
    assert market.checkout(me, customer_id, quantity=10**9).status_code == 422
    assert market.checkout(me, customer_id, sku_code="NOPE").status_code == 404
    assert market.checkout(me, customer_id, payment_method="cash").status_code == 422
    assert market.checkout(me, "another-customer").status_code == 404
    assert market.checkout(me, customer_id, rebate_minor=-1).status_code == 422
    assert market.client.get("/marketplace/v1/orders", headers=me).get_json()["total"] == 0


def test_entitlement_solutions_need_a_customer_with_a_tenant(market: Marketplace) -> None:
    market.publish(entitlements=[{"product_code": "INV-ISSUE", "quantity": 1, "months": 12}])
    me = market.reseller()
    response = market.checkout(me, market.customer(me, tenant_id=None)["id"])
    assert response.status_code == 422 and response.get_json()["code"] == "customer_tenant_required"


def test_a_coupon_discounts_once_and_is_then_used(market: Marketplace) -> None:
    market.publish(price_minor=10700)
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    coupon = market.issue_coupon(reseller, amount_minor=700, min_amount_minor=10000)
    customer_id = market.customer(me)["id"]
    order = market.checkout(me, customer_id, coupon_code=coupon["code"]).get_json()
    assert (order["coupon_minor"], order["total_minor"]) == (700, 10000)
    again = market.checkout(me, customer_id, coupon_code=coupon["code"])
    assert again.status_code == 409 and again.get_json()["code"] == "coupon_already_used"
    used = market.client.get("/marketplace/v1/coupons", headers=me, query_string={"state": "used"}).get_json()
    assert [c["code"] for c in used["items"]] == [coupon["code"]]


def test_coupon_rules_are_enforced_at_checkout(market: Marketplace) -> None:
    market.publish(price_minor=5000)
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    customer_id = market.customer(me)["id"]
    too_big = market.issue_coupon(reseller, min_amount_minor=6000)
    response = market.checkout(me, customer_id, coupon_code=too_big["code"])
    assert response.status_code == 422 and response.get_json()["code"] == "coupon_minimum_amount_not_met"
    foreign = market.issue_coupon(market.known_reseller("reseller-b"))
    assert market.checkout(me, customer_id, coupon_code=foreign["code"]).get_json()["code"] == "coupon_not_found"
    assert market.client.get("/marketplace/v1/coupons", headers=me, query_string={"state": "unused"}).get_json()["total"] == 1


def test_rebate_is_spent_within_the_balance(market: Marketplace) -> None:
    market.publish(price_minor=10700)
    me = market.reseller()
    give_rebate(market, "reseller-a", 500)
    customer_id = market.customer(me)["id"]
    refused = market.checkout(me, customer_id, rebate_minor=501)
    assert refused.status_code == 409 and refused.get_json()["code"] == "insufficient_rebate_balance"
    order = market.checkout(me, customer_id, rebate_minor=500).get_json()
    assert order["total_minor"] == 10200
    assert market.client.get("/marketplace/v1/rebate", headers=me).get_json()["balance_minor"] == 0
    entries = market.client.get("/marketplace/v1/rebate/entries", headers=me).get_json()["items"]
    assert [(e["kind"], e["amount_minor"], e["balance_after_minor"]) for e in entries] == [("spend", -500, 0)]


def test_the_same_idempotency_key_replays_one_order(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    customer_id = market.customer(me)["id"]
    first = market.checkout(me, customer_id, key="k-1")
    second = market.checkout(me, customer_id, key="k-1")
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"] and second.headers.get("Idempotent-Replayed") == "true"
    assert market.checkout(me, customer_id, quantity=3, key="k-1").get_json()["code"] == "idempotency_key_reused"
    assert market.client.get("/marketplace/v1/orders", headers=me).get_json()["total"] == 1


def test_cart_checkout_empties_the_chosen_lines_and_keeps_params_for_history(market: Marketplace) -> None:
    market.publish(code="SKU-A")
    market.publish("其他", code="SKU-B", price_minor=100)
    me = market.reseller()
    market.client.post("/marketplace/v1/cart/items", headers=me, json={"sku_code": "SKU-A", "quantity": 1, "params": {"account": "acc-1"}})
    market.client.post("/marketplace/v1/cart/items", headers=me, json={"sku_code": "SKU-A", "quantity": 2, "params": {"account": "acc-1"}})
    cart = market.client.post("/marketplace/v1/cart/items", headers=me, json={"sku_code": "SKU-B"}).get_json()
    assert [(i["sku_code"], i["quantity"]) for i in cart["items"]] == [("SKU-A", 3), ("SKU-B", 1)]
    assert cart["totals"] == {"CNY": 3 * 10700 + 100}
    chosen = [cart["items"][0]["id"]]
    response = market.client.post("/marketplace/v1/checkout", headers=me, json={
        "from_cart": True, "cart_item_ids": chosen, "customer_id": market.customer(me)["id"], "payment_method": "offline",
        "accept_contract": True})
    assert response.status_code == 201 and response.get_json()["total_minor"] == 32100
    assert [i["sku_code"] for i in market.client.get("/marketplace/v1/cart", headers=me).get_json()["items"]] == ["SKU-B"]
    history = market.client.get("/marketplace/v1/purchase-params", headers=me, query_string={"sku_code": "SKU-A"}).get_json()
    assert history["items"] == [{"account": "acc-1"}]
    other = market.reseller("reseller-b", user="b")
    assert market.client.delete(f"/marketplace/v1/cart/items/{cart['items'][1]['id']}", headers=other).status_code == 404
