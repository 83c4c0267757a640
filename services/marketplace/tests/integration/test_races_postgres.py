"""Races on PostgreSQL: threads hammer the real database through the app and the invariants hold."""
from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from services.marketplace.adapters.orm import credit_codes, credit_lines, orders, rebate_accounts
from services.marketplace.config import SERVICE
from services.marketplace.tests.conftest import app_on
from services.marketplace.tests.helpers import PDF, Marketplace, application_form, files
from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.testkit import TokenFactory

THREADS = 8


@pytest.fixture()
def pg_market(postgres_url: str, tmp_path: Path) -> Marketplace:
    upgrade(SERVICE, postgres_url)
    tokens = TokenFactory()
    app = app_on(postgres_url, tmp_path / "uploads", tokens, FrozenClock())
    return Marketplace(app, app.test_client(), tokens)


def race(app: Flask, call: Callable[[Any], Any], times: int = THREADS) -> list[Any]:
    def one(_index: int) -> Any:
        with app.test_client() as client:
            return call(client)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(times)))


def count(market: Marketplace, query: Any) -> int:
    with market.context.session_factory() as session:
        return session.execute(query).scalar_one()


def checkout_body(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {"items": [{"sku_code": "SKU-A", "quantity": 1}], "customer_id": customer_id, "payment_method": "online",
            "accept_contract": True, **extra}


def test_racing_retries_with_one_idempotency_key_make_one_order(pg_market: Marketplace) -> None:
    pg_market.publish()
    me = pg_market.reseller()
    body = checkout_body(pg_market.customer(me)["id"])
    responses = race(pg_market.app, lambda c: c.post("/marketplace/v1/checkout", json=body, headers={**me, "Idempotency-Key": "same"}))
    created = [r for r in responses if r.status_code == 201]
    assert created and {r.get_json()["id"] for r in created} == {created[0].get_json()["id"]}
    assert all(r.status_code in (201, 409) for r in responses)
    assert count(pg_market, select(func.count()).select_from(orders)) == 1


def test_a_coupon_is_used_by_one_of_many_racing_checkouts(pg_market: Marketplace) -> None:
    pg_market.publish()
    reseller = pg_market.known_reseller()
    me = pg_market.reseller(reseller)
    coupon = pg_market.issue_coupon(reseller, amount_minor=500)
    body = checkout_body(pg_market.customer(me)["id"], coupon_code=coupon["code"])
    responses = race(pg_market.app, lambda c: c.post("/marketplace/v1/checkout", json=body, headers=me))
    assert Counter(r.status_code for r in responses) == Counter({201: 1, 409: THREADS - 1})
    assert count(pg_market, select(func.count()).select_from(orders).where(orders.c.coupon_minor == 500)) == 1


def test_racing_rebate_spending_never_overdraws(pg_market: Marketplace) -> None:
    pg_market.publish(price_minor=10700)
    me = pg_market.reseller()
    with pg_market.context.session_factory() as session:
        session.execute(insert(rebate_accounts).values(reseller_id="reseller-a", balance_minor=1000, currency="CNY"))
        session.commit()
    body = checkout_body(pg_market.customer(me)["id"], rebate_minor=300)
    responses = race(pg_market.app, lambda c: c.post("/marketplace/v1/checkout", json=body, headers=me))
    assert Counter(r.status_code for r in responses) == Counter({201: 3, 409: THREADS - 3})
    assert count(pg_market, select(rebate_accounts.c.balance_minor)) == 100


def test_the_credit_line_is_never_drawn_beyond_its_limit(pg_market: Marketplace) -> None:
    reseller = pg_market.known_reseller()
    pg_market.client.put(f"/marketplace/v1/resellers/{reseller}/credit-line", headers=pg_market.staff("finance"),
                         json={"limit_minor": 1000, "term_days": 30})
    url = f"/marketplace/v1/resellers/{reseller}/credit/offline-uses"
    responses = race(pg_market.app, lambda c: c.post(url, headers=pg_market.staff("finance"),
                                                     json={"amount_minor": 300, "reference": "offline"}))
    assert Counter(r.status_code for r in responses) == Counter({201: 3, 409: THREADS - 3})
    assert count(pg_market, select(credit_lines.c.owed_minor)) == 900


def test_an_application_is_reviewed_once_under_concurrent_reviewers(pg_market: Marketplace) -> None:
    data = {**application_form(), "files": files(("licence.pdf", PDF))}
    application_id = pg_market.client.post("/marketplace/v1/reseller-applications", data=data,
                                           content_type="multipart/form-data").get_json()["id"]
    url = f"/marketplace/v1/reseller-applications/{application_id}/review"
    responses = race(pg_market.app, lambda c: c.post(url, headers=pg_market.staff(), json={"decision": "approve"}))
    assert Counter(r.status_code for r in responses) == Counter({200: 1, 409: THREADS - 1})
    assert len(pg_market.events("marketplace.reseller.approved.v1")) == 1


def test_a_search_on_postgresql_uses_the_trigram_index_path(pg_market: Marketplace) -> None:
    pg_market.publish("企业云迁移专家", code="T1", summary="迁移")
    pg_market.publish("安全网关", code="T2", category="security", summary="防护")
    found = pg_market.client.get("/marketplace/v1/solutions", query_string={"q": "云迁"}).get_json()
    assert [s["name"] for s in found["items"]] == ["企业云迁移专家"]


def test_one_cart_checks_out_once_under_racing_checkouts_with_different_keys(pg_market: Marketplace) -> None:
    """Issue 16: 8 concurrent checkouts of one cart (each its own Idempotency-Key) made 8 orders from one line."""
    pg_market.publish()
    me = pg_market.reseller()
    added = pg_market.client.post("/marketplace/v1/cart/items", headers=me, json={"sku_code": "SKU-A", "quantity": 2})
    assert added.status_code in (200, 201), added.get_json()
    body = {"from_cart": True, "customer_id": pg_market.customer(me)["id"], "payment_method": "offline", "accept_contract": True}
    keys = itertools.count()
    responses = race(pg_market.app, lambda c: c.post("/marketplace/v1/checkout", json=body,
                                                      headers={**me, "Idempotency-Key": f"cart-{next(keys)}"}))
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1, statuses
    assert all(r.status_code == 201 or r.get_json()["code"] in ("cart_empty", "cart_changed") for r in responses)
    assert count(pg_market, select(func.count()).select_from(orders)) == 1
    assert pg_market.client.get("/marketplace/v1/cart", headers=me).get_json()["items"] == []


def test_racing_wrong_credit_codes_each_count_and_kill_the_code(pg_market: Marketplace) -> None:
    """Issue 16: a wrong code answered 422 and rolled its count back, so the code could be guessed without limit."""
    pg_market.publish(price_minor=10700)
    reseller = pg_market.known_reseller()
    me = pg_market.reseller(reseller)
    granted = pg_market.client.put(f"/marketplace/v1/resellers/{reseller}/credit-line", headers=pg_market.staff("finance"),
                                   json={"limit_minor": 20000, "term_days": 30})
    assert granted.status_code == 200
    order = pg_market.checkout(me, pg_market.customer(me)["id"], payment_method="credit").get_json()
    assert pg_market.client.post("/marketplace/v1/credit/codes", headers=me).status_code == 201
    code = pg_market.events("marketplace.credit.code_requested.v1")[-1]["code"]
    guesses, ticket = [f"{n:06d}" for n in range(100) if f"{n:06d}" != code], itertools.count()
    url = f"/marketplace/v1/orders/{order['id']}/payments"
    responses = race(pg_market.app, lambda c: c.post(url, headers=me, json={
        "method": "credit", "verification_code": guesses[next(ticket)]}), times=3 * THREADS)
    assert {r.status_code for r in responses} == {422}
    attempts = count(pg_market, select(credit_codes.c.attempts))
    assert attempts == 5, f"wrong tries counted: {attempts}"
    right = pg_market.client.post(url, headers=me, json={"method": "credit", "verification_code": code})
    assert right.status_code == 422, "the code must be dead after five wrong tries"
    assert count(pg_market, select(credit_lines.c.owed_minor)) == 0
