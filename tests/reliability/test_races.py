"""Races on PostgreSQL: every money, quota and state transition, hammered by concurrent identical and
different requests through the services' apps, has exactly the allowed effects.

Where each race is proven (the services' own integration tests, and here the ones that were missing):

- allocation of seats: entitlements `test_concurrent_allocations_never_exceed_the_line_quantity`,
  `test_concurrent_pairs_are_all_or_nothing`
- traffic usage: entitlements `test_racing_deductions_never_exceed_the_pool`,
  `test_racing_batches_and_singles_keep_the_books_balanced`; identical retries (one Idempotency-Key):
  here, `test_racing_retries_of_one_usage_request_deduct_once`
- a license seat per tax ID: licensing `test_two_concurrent_requests_authorizing_the_same_tax_id_authorize_it_once`,
  `test_overlapping_batches_in_opposite_orders_neither_deadlock_nor_authorize_twice`; entitlements
  `test_concurrent_authorizations_take_one_seat_per_tax_id_and_never_too_many`
- license cancellation: here, `test_racing_cancellations_of_one_license_release_its_seat_once`
- payment of a billing order: billing `test_racing_balance_payments_pay_an_order_once` (identical keys),
  `test_racing_callbacks_pay_once_and_refund_a_second_payment`, `test_concurrent_payments_never_take_the_balance_below_zero`
- payment of a marketplace order: here, `test_racing_provider_callbacks_pay_a_marketplace_order_once`;
  checkout retries: marketplace `test_racing_retries_with_one_idempotency_key_make_one_order`
- offline top-up approval: billing `test_racing_approvals_credit_an_offline_topup_once`
- coupon use: marketplace `test_a_coupon_is_used_by_one_of_many_racing_checkouts`
- rebate spending: marketplace `test_racing_rebate_spending_never_overdraws`
- credit use: marketplace `test_the_credit_line_is_never_drawn_beyond_its_limit`; one order paid with
  credit by racing requests: here, `test_racing_credit_payments_of_one_order_draw_the_credit_once`
- review of a reseller application: marketplace `test_an_application_is_reviewed_once_under_concurrent_reviewers`
- review of a change request: entitlements `test_a_change_request_is_approved_exactly_once`
- activation by operation key: entitlements `test_an_operation_key_activates_once_under_concurrency`
- invitation acceptance: here, `test_racing_acceptances_of_one_invitation_set_one_password`
- identity's sessions and secrets: identity `test_concurrent_refreshes_of_one_token_yield_exactly_one_new_token`,
  `test_concurrent_disables_of_the_last_two_admins_leave_one_enabled`, `test_concurrent_reveals_show_the_secret_once`,
  `test_concurrent_sms_code_requests_send_one_code`
- found by the attack of issue 16 (each fails without its fix): a cart checked out by racing checkouts
  with different Idempotency-Keys: marketplace `test_one_cart_checks_out_once_under_racing_checkouts_with_different_keys`;
  racing wrong credit-payment codes: marketplace `test_racing_wrong_credit_codes_each_count_and_kill_the_code`;
  edits of an offline top-up racing its approvals: billing
  `test_an_offline_topup_edited_while_approvals_race_credits_the_submitted_amount`; racing wrong logins per
  account and per address: identity `test_racing_wrong_logins_check_no_more_passwords_than_the_account_limit`,
  `test_racing_wrong_logins_from_one_address_check_no_more_than_its_limit`
- one message per event, one send per message: notifier
  `test_the_same_event_handled_by_two_consumers_at_once_stores_one_message`,
  `test_two_concurrent_delivery_runs_send_each_message_exactly_once`
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from shared.clock import FrozenClock
from shared.testkit import TokenFactory, race
from tests.reliability.reconcile import scalar
from tests.security import apps

RACERS = 12


def outbox_data(app: Flask, event_type: str) -> list[dict[str, Any]]:
    context = app.extensions["suite_context"]
    table = context.tables.outbox
    with context.session_factory() as session:
        rows = session.execute(table.select().where(table.c.type == event_type).order_by(table.c.id)).all()
    return [json.loads(row.payload)["data"] for row in rows]


@pytest.fixture()
def tokens() -> TokenFactory:
    return TokenFactory()


def test_racing_retries_of_one_usage_request_deduct_once(postgres_url: str, tmp_path: Path, tokens: TokenFactory, figures: Any) -> None:
    from services.entitlements.tests.portal import USCC, Portal

    app = apps.build("entitlements", tmp_path, tokens, database_url=postgres_url)
    portal = Portal(app, app.test_client(), tokens)
    portal.tenant_known("tenant-1")
    portal.product("SMS", kind="traffic", traffic_category="sms")
    portal.activated_order("tenant-1", {"product_code": "SMS", "quantity": 1000})
    portal.enterprise("tenant-1", USCC[0])

    def use(_: int) -> Any:
        with app.test_client() as client:
            return client.post("/entitlements/v1/usage", headers={**portal.admin("tenant-1"), "Idempotency-Key": "retry-1"},
                               json={"product_code": "SMS", "tax_id": USCC[0], "units": 7, "reference": "R-1"})

    answers = race(RACERS, use)
    statuses = [a.status_code for a in answers]
    bodies = {a.get_data(as_text=True) for a in answers if a.status_code == 201}
    figures("races: one usage request retried by 12 threads", f"answers {sorted(statuses)}; distinct 201 bodies {len(bodies)}")
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1 and len(bodies) == 1
    assert all(a.get_json()["code"] == "idempotency_request_in_progress" for a in answers if a.status_code == 409)
    assert scalar(postgres_url, "SELECT count(*) FROM usage_ledger") == 1
    assert scalar(postgres_url, "SELECT sum(remaining) FROM order_lines WHERE product_code = 'SMS'") == 993


def test_racing_acceptances_of_one_invitation_set_one_password(postgres_url: str, tmp_path: Path, tokens: TokenFactory,
                                                              figures: Any) -> None:
    from services.identity.tests.flows import Flows

    app = apps.build("identity", tmp_path, tokens, FrozenClock(), database_url=postgres_url)
    flows = Flows(app.test_client(), lambda event_type: outbox_data(app, event_type), app.extensions["suite_context"].clock)
    tenant, admin = flows.activated_tenant()
    assert flows.invite(admin, tenant["id"], "colleague@tenant.test", ["tenant_admin"]).status_code == 201
    token = flows.invitation_token("colleague@tenant.test")

    def accept(i: int) -> int:
        with app.test_client() as client:
            return client.post("/identity/v1/invitations/accept", json={"token": token, "password": f"Racer-Passw0rd-{i:02d}"}).status_code

    statuses = race(RACERS, accept)
    winners = [i for i, status in enumerate(statuses) if status == 200]
    figures("races: one invitation accepted by 12 threads", f"answers {sorted(statuses)}")
    assert len(winners) == 1 and set(statuses) - {200} <= {409, 410}
    assert flows.login("colleague@tenant.test", f"Racer-Passw0rd-{winners[0]:02d}").status_code == 200
    losers = [i for i in range(RACERS) if i not in winners][:3]  # a few: more failed logins would lock the account
    assert all(flows.login("colleague@tenant.test", f"Racer-Passw0rd-{i:02d}").status_code == 401 for i in losers)


def test_racing_cancellations_of_one_license_release_its_seat_once(postgres_url: str, tmp_path: Path, tokens: TokenFactory,
                                                                   figures: Any) -> None:
    from services.licensing.tests.driver import LicensingDriver, tax_id

    app = apps.build("licensing", tmp_path, tokens, database_url=postgres_url)
    headers = tokens.headers(sub="admin-1", org_id="tenant-1", org_kind="tenant", roles=("tenant_admin",))
    driver = LicensingDriver(app, app.test_client(), headers, "tenant-1")
    driver.put_erp("formal", False)
    driver.seats_delivered("invoice_issuing", 5)
    taxes = [tax_id(n) for n in range(3)]
    driver.import_(*taxes)
    for tax in taxes:
        assert driver.codes(driver.authorize("invoice_issuing", tax)) == {tax: "authorized"}
        driver.grant(tax, "invoice_issuing")

    def cancel(i: int) -> str:
        with app.test_client() as client:
            response = client.post("/licensing/v1/cancellations", headers=headers,
                                   json={"service_group": "invoice_issuing", "tax_ids": [taxes[i % len(taxes)]]})
            return response.get_json()["results"][0]["code"]

    codes = race(RACERS, cancel)
    cancelled = outbox_data(app, "licensing.license.cancelled.v1")
    figures("races: 3 licenses cancelled by 12 threads", f"answers {sorted(codes)}; cancellations sent {len(cancelled)}")
    assert sorted(codes).count("cancelled") == len(taxes) and set(codes) <= {"cancelled", "not_authorized"}
    assert sorted(event["tax_id"] for event in cancelled) == sorted(taxes)
    assert driver.listing("invoice_issuing")["authorized"] == 0


def market_with_order(postgres_url: str, tmp_path: Path, tokens: TokenFactory, payment_method: str) -> tuple[Any, dict[str, str], dict]:
    from services.marketplace.tests.helpers import Marketplace

    app = apps.build("marketplace", tmp_path, tokens, FrozenClock(), database_url=postgres_url)
    market = Marketplace(app, app.test_client(), tokens)
    market.publish(price_minor=10700)
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    market.client.put(f"/marketplace/v1/resellers/{reseller}/credit-line", headers=market.staff("finance"),
                      json={"limit_minor": 100_000, "term_days": 30})
    order = market.checkout(me, market.customer(me)["id"], payment_method=payment_method).get_json()
    return market, me, order


def test_racing_provider_callbacks_pay_a_marketplace_order_once(postgres_url: str, tmp_path: Path, tokens: TokenFactory,
                                                                figures: Any) -> None:
    market, me, order = market_with_order(postgres_url, tmp_path, tokens, "online")
    started = [market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
               for _ in range(2)]

    def finish(i: int) -> int:
        with market.app.test_client() as client:
            return client.post(f"/marketplace/v1/sandbox/pay/{started[i % 2]['payment_id']}", json={"outcome": "success"}).status_code

    race(RACERS, finish)  # the payer's clicks only queue the callbacks now
    race(RACERS, lambda _i: market.deliver_sandbox_callbacks())  # as many workers sending every queued callback at once
    paid = outbox_data(market.app, "marketplace.order.paid.v1")
    view = market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()
    succeeded = scalar(postgres_url, "SELECT count(*) FROM payments WHERE order_id = :o AND status = 'succeeded'", o=order["id"])
    figures("races: 12 provider callbacks for 2 payments of one marketplace order",
            f"order {view['status']}; succeeded payments {succeeded}; order.paid events {len(paid)}")
    assert len(paid) == 1 and succeeded == 1 and view["status"] != "pending_payment"


def test_racing_credit_payments_of_one_order_draw_the_credit_once(postgres_url: str, tmp_path: Path, tokens: TokenFactory,
                                                                  figures: Any) -> None:
    market, me, order = market_with_order(postgres_url, tmp_path, tokens, "credit")
    assert market.client.post("/marketplace/v1/credit/codes", headers=me).status_code == 201
    code = outbox_data(market.app, "marketplace.credit.code_requested.v1")[-1]["code"]

    def pay(_: int) -> int:
        with market.app.test_client() as client:
            return client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me,
                               json={"method": "credit", "verification_code": code}).status_code

    statuses = race(RACERS, pay)
    line = market.client.get("/marketplace/v1/credit", headers=me).get_json()
    figures("races: one order paid with credit by 12 threads", f"answers {sorted(statuses)}; owed {line['owed_minor']}")
    assert line["owed_minor"] == 10700 and line["available_minor"] == 100_000 - 10700
    assert len(outbox_data(market.app, "marketplace.order.paid.v1")) == 1
    assert all(status < 500 for status in statuses) and sum(1 for s in statuses if s in (200, 201)) >= 1
