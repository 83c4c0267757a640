"""Orders after checkout: payment (sandbox, transfer, credit), delivery event, cancel, contract, reviews."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader

from services.marketplace.adapters.sandbox_provider import TIMESTAMP_HEADER, TOLERANCE_SECONDS, signature_headers
from services.marketplace.service_layer import payments
from services.marketplace.service_layer.orders import on_entitlement_order
from services.marketplace.service_layer.payments import SANDBOX_PATH
from services.marketplace.tests.helpers import Marketplace
from shared.envelope import Event, new_event
from shared.errors import Problem
from shared.uow import UnitOfWork

ENTITLED = [{"product_code": "INV-ISSUE", "quantity": 2, "months": 12}]


def placed_order(market: Marketplace, headers: dict[str, str] | None = None, **checkout: object) -> dict:
    headers = headers or market.reseller()
    response = market.checkout(headers, market.customer(headers, tenant_id="tenant-9")["id"], **checkout)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_sandbox_payment_calls_back_signed_and_the_order_is_delivered_by_event(market: Marketplace) -> None:
    market.publish(entitlements=ENTITLED)
    me = market.reseller()
    order = placed_order(market, me, quantity=3)
    paid = market.pay_online(me, order["id"])
    assert paid.status_code == 202 and paid.get_json()["callback"] == "queued" and market.last_callbacks == [200]
    details = market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()
    assert (details["status"], details["payment_status"]) == ("processing", "paid")
    assert [m["status"] for m in details["milestones"]] == ["pending_payment", "processing"]
    [event] = market.events("marketplace.order.paid.v1")
    assert event["tenant_id"] == "tenant-9" and event["order_no"] == order["order_no"]
    assert event["entitlement_lines"] == [{"product_code": "INV-ISSUE", "quantity": 6, "valid_from": "2026-01-01",
                                           "valid_to": "2026-12-31"}]
    hot = market.client.get("/marketplace/v1/solutions/hot").get_json()["items"]
    assert hot[0]["sales_count"] == 3


def test_a_failed_payment_leaves_the_order_unpaid(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    assert market.pay_online(me, order["id"], outcome="failure").status_code == 202 and market.last_callbacks == [200]
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "pending_payment"
    assert market.events("marketplace.order.paid.v1") == []


def test_the_sandbox_page_answers_without_calling_the_service_back_in_the_request(market: Marketplace, monkeypatch) -> None:  # noqa: ANN001
    """The page sent its callback over HTTP from the request thread (billing's did too: 12 clicks held
    every API thread). It records the payer's choice; the worker sends the signed callback."""
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    sent: list[bytes] = []
    provider = market.context.extras["sandbox_provider"]
    monkeypatch.setattr(provider, "post", lambda url, body, headers: sent.append(body) or 503)
    started = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
    assert market.client.post(SANDBOX_PATH.format(payment_id=started["payment_id"]), json={"outcome": "success"}).status_code == 202
    assert sent == []
    assert market.deliver_sandbox_callbacks() == [503] and len(sent) == 1
    assert market.deliver_sandbox_callbacks() == []  # retried later, not at once
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "pending_payment"


def test_callbacks_must_be_signed_and_count_once(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    payment = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
    notification = {"payment_id": payment["payment_id"], "outcome": "success", "amount_minor": order["total_minor"],
                    "currency": "CNY", "provider_ref": "SBX1"}
    body = json.dumps(notification).encode()
    url = "/marketplace/v1/payments/sandbox-callback"
    now = market.context.clock.now()
    forged = market.client.post(url, data=body, headers=signature_headers(body, "wrong", now))
    assert forged.status_code == 401
    unsigned = market.client.post(url, data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    headers = signature_headers(body, "test-secret", now)
    assert market.client.post(url, data=body, headers=headers).get_json()["status"] == "succeeded"
    assert market.client.post(url, data=body, headers=headers).get_json()["status"] == "succeeded"
    assert len(market.events("marketplace.order.paid.v1")) == 1
    tampered = json.dumps({**notification, "amount_minor": 1}).encode()
    assert market.client.post(url, data=tampered, headers=headers).status_code == 401
    moved = {**headers, TIMESTAMP_HEADER: str(int(now.timestamp()) + 1)}  # the timestamp is signed too
    assert market.client.post(url, data=body, headers=moved).status_code == 401


def test_a_stale_or_future_callback_is_refused_and_changes_nothing(market: Marketplace) -> None:
    """A callback captured and replayed later (or pre-dated) is refused even with the right signature."""
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    payment = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
    body = json.dumps({"payment_id": payment["payment_id"], "outcome": "success", "amount_minor": order["total_minor"],
                       "currency": "CNY", "provider_ref": "SBX1"}).encode()
    url = "/marketplace/v1/payments/sandbox-callback"
    now = market.context.clock.now()
    for skew in (-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1):
        stale = market.client.post(url, data=body, headers=signature_headers(body, "test-secret", now + timedelta(seconds=skew)))
        assert stale.status_code == 401 and stale.get_json()["code"] == "callback_stale", stale.get_json()
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "pending_payment"
    fresh = market.client.post(url, data=body, headers=signature_headers(body, "test-secret", now - timedelta(seconds=60)))
    assert fresh.get_json()["status"] == "succeeded"


def test_an_offline_transfer_waits_for_finance(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    order = placed_order(market, me, payment_method="offline")
    url = f"/marketplace/v1/orders/{order['id']}/payments"
    assert market.client.post(url, headers=me, json={"method": "offline"}).status_code == 422
    transfer = {"payer_name": "蓝云", "payer_account": "6222020000000000", "paid_on": "2026-01-01", "reference": "TX-1"}
    started = market.client.post(url, headers=me, json={"method": "offline", "transfer": transfer}).get_json()
    assert started["status"] == "awaiting_confirmation"
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/cancel", headers=me).status_code == 409
    review_url = f"/marketplace/v1/payments/{started['payment_id']}/review"
    assert market.client.post(review_url, headers=market.staff("sales"), json={"decision": "confirm"}).status_code == 403
    assert market.client.post(review_url, headers=market.staff("finance"), json={"decision": "confirm"}).get_json()["status"] == "succeeded"
    assert market.client.post(review_url, headers=market.staff("finance"), json={"decision": "confirm"}).status_code == 409
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "processing"
    assert "payment.transfer_succeeded" in market.audit_actions()


def test_cancelling_before_payment_releases_coupon_and_rebate(market: Marketplace) -> None:
    from services.marketplace.tests.unit.test_checkout_api import give_rebate

    market.publish(price_minor=10700)
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    give_rebate(market, reseller, 300)
    coupon = market.issue_coupon(reseller, amount_minor=700)
    order = placed_order(market, me, coupon_code=coupon["code"], rebate_minor=300)
    cancelled = market.client.post(f"/marketplace/v1/orders/{order['id']}/cancel", headers=me)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert market.client.get("/marketplace/v1/rebate", headers=me).get_json()["balance_minor"] == 300
    unused = market.client.get("/marketplace/v1/coupons", headers=me, query_string={"state": "unused"}).get_json()
    assert [c["code"] for c in unused["items"]] == [coupon["code"]]
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/cancel", headers=me).status_code == 409
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).status_code == 409


def test_paid_orders_cannot_be_cancelled_and_may_request_an_invoice_once(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    invoice = {"title": "甲公司", "tax_id": "91310000MA1FL0000X", "email": "inv@customer.test"}
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/invoice-request", headers=me, json=invoice).status_code == 409
    market.pay_online(me, order["id"])
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/cancel", headers=me).status_code == 409
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/invoice-request", headers=me, json=invoice).status_code == 200
    assert market.client.post(f"/marketplace/v1/orders/{order['id']}/invoice-request", headers=me, json=invoice).status_code == 409


def test_the_contract_pdf_names_the_order_and_only_its_reseller_gets_it(market: Marketplace) -> None:
    market.publish(price_minor=10700)
    me = market.reseller()
    order = placed_order(market, me)
    response = market.client.get(f"/marketplace/v1/orders/{order['id']}/contract.pdf", headers=me)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert order["order_no"] in text
    assert b"STSong-Light" in response.data
    other = market.reseller("reseller-b", user="b")
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}/contract.pdf", headers=other).status_code == 404
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=other).status_code == 404
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}/contract.pdf", headers=me).data == response.data


def test_orders_are_searched_by_number_customer_and_salesperson(market: Marketplace) -> None:
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    search = lambda q: market.client.get("/marketplace/v1/orders", headers=me, query_string={"q": q}).get_json()["total"]  # noqa: E731
    assert search(order["order_no"][-8:]) == 1 and search("甲公司") == 1 and search("王五") == 1 and search("admin@a") == 1
    assert search("nobody") == 0
    assert market.client.get("/marketplace/v1/orders", headers=me, query_string={"status": "cancelled"}).get_json()["total"] == 0
    assert market.client.get("/marketplace/v1/orders", headers=market.staff("support")).get_json()["total"] == 1


def test_only_buyers_of_completed_orders_review(market: Marketplace) -> None:
    solution = market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    review = {"order_id": order["id"], "rating": 5, "comment": "很好"}
    url = f"/marketplace/v1/solutions/{solution['id']}/reviews"
    assert market.client.post(url, headers=me, json=review).get_json()["code"] == "order_not_completed"
    market.pay_online(me, order["id"])
    milestones = f"/marketplace/v1/orders/{order['id']}/milestones"
    assert market.client.post(milestones, headers=me, json={"status": "delivered"}).status_code == 403
    assert market.client.post(milestones, headers=market.staff("support"), json={"status": "completed"}).status_code == 409
    assert market.client.post(milestones, headers=market.staff("support"), json={"status": "delivered"}).status_code == 200
    assert market.client.post(url, headers=me, json=review).status_code == 409
    assert market.client.post(milestones, headers=market.staff("support"), json={"status": "completed"}).status_code == 200
    assert market.client.post(url, headers=market.reseller("reseller-b", user="b"), json=review).status_code == 404
    assert market.client.post(url, headers=me, json={**review, "rating": 6}).status_code == 422
    assert market.client.post(url, headers=me, json=review).status_code == 201
    assert market.client.post(url, headers=me, json=review).get_json()["code"] == "already_reviewed"
    details = market.client.get(f"/marketplace/v1/solutions/{solution['id']}").get_json()
    assert (details["rating"], details["rating_count"]) == (5.0, 1)


def _entitlement_order_event(event_type: str, marketplace_order_id: str, source: str = "marketplace") -> Event:
    return new_event("entitlements", event_type, "ent-order-1", {
        "tenant_id": "tenant-9", "order_id": "ent-order-1", "order_no": "ORD202601010001", "source": source,
        "source_ref": marketplace_order_id if source == "marketplace" else None, "erp": "galaxy", "deployment": "public_cloud",
        "activated_at": "2026-01-01T00:00:00Z",
    }, tenant_id="tenant-9")


def test_entitlements_events_deliver_then_complete_the_sale(market: Marketplace) -> None:
    market.publish(entitlements=ENTITLED)
    me = market.reseller()
    order = placed_order(market, me)
    # an entitlement order delivered before payment cannot move an unpaid sale
    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.delivered.v1", order["id"]))
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "pending_payment"
    market.pay_online(me, order["id"])
    # orders of other sources, or naming an unknown sale, change nothing
    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.delivered.v1", order["id"], source="sales"))
    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.delivered.v1", "no-such-order"))
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "processing"

    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.delivered.v1", order["id"]))
    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.delivered.v1", order["id"]))  # a resend
    details = market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()
    assert details["status"] == "delivered"
    assert [m["status"] for m in details["milestones"]] == ["pending_payment", "processing", "delivered"]

    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.activated.v1", order["id"]))
    details = market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()
    assert details["status"] == "completed"
    assert [m["status"] for m in details["milestones"]] == ["pending_payment", "processing", "delivered", "completed"]
    assert "order.completed" in market.audit_actions()


def test_an_activation_that_overtakes_its_delivery_records_both_steps(market: Marketplace) -> None:
    market.publish(entitlements=ENTITLED)
    me = market.reseller()
    order = placed_order(market, me)
    market.pay_online(me, order["id"])
    market.handle(on_entitlement_order, _entitlement_order_event("entitlements.order.activated.v1", order["id"]))
    details = market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()
    assert details["status"] == "completed"
    assert [m["status"] for m in details["milestones"]] == ["pending_payment", "processing", "delivered", "completed"]


def test_success_after_a_failure_is_a_409_and_a_new_payment_retries(market: Marketplace) -> None:
    """Issue 19: after a sandbox failure, success for the same payment must say what happened, never a silent 200."""
    market.publish()
    me = market.reseller()
    order = placed_order(market, me)
    started = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
    failed = market.sandbox_pay(started, "failure")
    assert failed.status_code == 202 and failed.get_json()["callback"] == "queued" and market.last_callbacks == [200]
    again = market.sandbox_pay(started, "success")
    assert again.status_code == 409 and "new payment" in again.get_json()["detail"]
    assert market.last_callbacks == []  # nothing queued for the refused outcome
    late = {"payment_id": started["payment_id"], "outcome": "success", "amount_minor": order["total_minor"], "currency": "CNY"}
    with market.context.session_factory() as session:
        with pytest.raises(Problem) as refused:
            payments.record_notification(UnitOfWork("marketplace", session, market.context.tables, market.context.clock), late)
        assert refused.value.status == 409 and refused.value.code == "payment_already_failed"
        assert payments.record_notification(UnitOfWork("marketplace", session, market.context.tables, market.context.clock),
                                             {**late, "outcome": "failure"}) == "failed"
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "pending_payment"
    retried = market.pay_online(me, order["id"])
    assert retried.status_code == 202 and market.last_callbacks == [200]
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "processing"


def test_finance_refunds_a_second_payment_through_the_provider(market: Marketplace) -> None:
    """Issue 19: a second successful payment of one order was marked refund_due and nothing could refund it."""
    market.publish()
    market.known_reseller()
    me = market.reseller()
    order = placed_order(market, me)
    url = f"/marketplace/v1/orders/{order['id']}/payments"
    first, second = (market.client.post(url, headers=me, json={"method": "online"}).get_json() for _ in range(2))
    for started in (first, second):
        assert market.sandbox_pay(started).status_code == 202 and market.last_callbacks == [200]
    finance = market.staff("finance")
    due = market.client.get("/marketplace/v1/payments", headers=finance, query_string={"status": "refund_due"}).get_json()
    assert [p["id"] for p in due["items"]] == [second["payment_id"]]
    refund_url = f"/marketplace/v1/payments/{second['payment_id']}/refund"
    assert market.client.post(refund_url, headers=me, json={"reason": "x"}).status_code == 403
    assert market.client.post(refund_url, headers=finance, json={}).status_code == 422
    assert market.client.post(f"/marketplace/v1/payments/{first['payment_id']}/refund", headers=finance,
                              json={"reason": "x"}).get_json()["code"] == "payment_not_refund_due"
    refunded = market.client.post(refund_url, headers={**finance, "Idempotency-Key": "r-1"}, json={"reason": "同一订单重复付款"})
    assert refunded.status_code == 201, refunded.get_json()
    body = refunded.get_json()
    assert body["status"] == "refunded" and body["refund"]["channel"] == "provider"
    assert body["refund"]["refund_ref"].startswith("SBXR") and body["refund"]["amount_minor"] == order["total_minor"]
    replay = market.client.post(refund_url, headers={**finance, "Idempotency-Key": "r-1"}, json={"reason": "同一订单重复付款"})
    assert replay.get_json() == body
    again = market.client.post(refund_url, headers=finance, json={"reason": "again"})
    assert again.status_code == 409
    [event] = market.events("marketplace.payment.refunded.v1")
    assert (event["order_no"], event["refund_ref"], event["recipient"]["email"]) == (
        order["order_no"], body["refund"]["refund_ref"], "contact@reseller-a.test")
    assert "payment.refunded" in market.audit_actions()
    listed = market.client.get("/marketplace/v1/payments", headers=finance, query_string={"status": "refunded"}).get_json()
    assert listed["items"][0]["refund"]["reason"] == "同一订单重复付款"
