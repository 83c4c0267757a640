"""Credit line with emailed codes, monthly bills and repayments; statements and half-yearly rebate jobs."""
from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from services.marketplace.adapters.orm import credit_codes
from services.marketplace.service_layer import credit, rebate, settlements
from services.marketplace.tests.helpers import Marketplace
from shared.clock import FrozenClock
from shared.uow import UnitOfWork


def run_job(market: Marketplace, job: object) -> int:
    with market.context.session_factory() as session:
        result = job(UnitOfWork("marketplace", session, market.context.tables, market.context.clock))  # type: ignore[operator]
        session.commit()
    return result


def grant_credit(market: Marketplace, reseller: str, limit: int = 20000) -> None:
    response = market.client.put(f"/marketplace/v1/resellers/{reseller}/credit-line", headers=market.staff("finance"),
                                 json={"limit_minor": limit, "term_days": 30})
    assert response.status_code == 200, response.get_json()


def emailed_code(market: Marketplace, headers: dict[str, str]) -> str:
    assert market.client.post("/marketplace/v1/credit/codes", headers=headers).status_code == 201
    return market.events("marketplace.credit.code_requested.v1")[-1]["code"]


def test_paying_with_credit_needs_the_emailed_code_and_stays_within_the_limit(market: Marketplace, clock: FrozenClock) -> None:
    market.publish(price_minor=10700)
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    grant_credit(market, reseller, limit=20000)
    customer_id = market.customer(me)["id"]
    first = market.checkout(me, customer_id, payment_method="credit").get_json()
    url = f"/marketplace/v1/orders/{first['id']}/payments"
    assert market.client.post(url, headers=me, json={"method": "credit"}).get_json()["code"] == "verification_code_required"
    code = emailed_code(market, me)
    assert market.events("marketplace.credit.code_requested.v1")[-1]["recipient"]["email"] == "admin@a.test"
    with market.context.session_factory() as session:
        assert session.execute(select(credit_codes.c.code_hash)).scalar() != code
    wrong = "000000" if code != "000000" else "111111"
    assert market.client.post(url, headers=me, json={"method": "credit", "verification_code": wrong}).status_code == 422
    assert market.client.post(url, headers=me, json={"method": "credit", "verification_code": code}).get_json()["status"] == "succeeded"
    line = market.client.get("/marketplace/v1/credit", headers=me).get_json()
    assert (line["owed_minor"], line["available_minor"]) == (10700, 9300)
    second = market.checkout(me, customer_id, payment_method="credit")
    assert second.status_code == 409 and second.get_json()["code"] == "credit_limit_exceeded"
    clock.advance(minutes=2)
    assert market.client.post("/marketplace/v1/credit/codes", headers=me).status_code == 201
    assert market.client.post("/marketplace/v1/credit/codes", headers=me).status_code == 429


def test_finance_records_offline_use_and_the_reseller_is_mailed(market: Marketplace) -> None:
    reseller = market.known_reseller()
    grant_credit(market, reseller, limit=1000)
    url = f"/marketplace/v1/resellers/{reseller}/credit/offline-uses"
    assert market.client.post(url, headers=market.staff("finance"), json={"amount_minor": 1001, "reference": "X"}).status_code == 409
    assert market.client.post(url, headers=market.reseller(reseller), json={"amount_minor": 1, "reference": "X"}).status_code == 403
    done = market.client.post(url, headers=market.staff("finance"), json={"amount_minor": 400, "reference": "线下采购 #7"})
    assert done.status_code == 201 and done.get_json()["available_minor"] == 600
    [event] = market.events("marketplace.credit.used_offline.v1")
    assert event["recipient"]["email"] == f"contact@{reseller}.test" and event["amount_minor"] == 400
    lowered = market.client.put(f"/marketplace/v1/resellers/{reseller}/credit-line", headers=market.staff("finance"),
                                json={"limit_minor": 300, "term_days": 30})
    assert lowered.status_code == 409


def test_monthly_bills_are_due_after_the_term_and_repaid_online(market: Marketplace, clock: FrozenClock) -> None:
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    grant_credit(market, reseller, limit=5000)
    market.client.post(f"/marketplace/v1/resellers/{reseller}/credit/offline-uses", headers=market.staff("finance"),
                       json={"amount_minor": 1500, "reference": "R1"})
    clock.set(datetime(2026, 2, 3, tzinfo=UTC))
    assert run_job(market, credit.issue_bills) == 1
    assert run_job(market, credit.issue_bills) == 0
    [bill] = market.client.get("/marketplace/v1/credit/bills", headers=me).get_json()["items"]
    assert (bill["period"], bill["amount_minor"], bill["due_date"], bill["remaining_days"]) == ("2026-01", 1500, "2026-03-02", 27)
    started = market.client.post(f"/marketplace/v1/credit/bills/{bill['id']}/repayments", headers=me, json={"method": "online"}).get_json()
    assert market.sandbox_pay(started).get_json()["callback"] == "queued"
    assert market.last_callbacks == [200]
    line = market.client.get("/marketplace/v1/credit", headers=me).get_json()
    assert line["owed_minor"] == 0
    [repaid] = market.client.get("/marketplace/v1/credit/bills", headers=me).get_json()["items"]
    assert repaid["status"] == "repaid"
    repay_url = f"/marketplace/v1/credit/bills/{bill['id']}/repayments"
    assert market.client.post(repay_url, headers=me, json={"method": "online"}).status_code == 409


def test_statements_snapshot_the_month_once_and_download_identically(market: Marketplace, clock: FrozenClock) -> None:
    market.publish()
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    paid = market.checkout(me, market.customer(me)["id"]).get_json()
    market.pay_online(me, paid["id"])
    market.checkout(me, market.customer(me)["id"])
    clock.set(datetime(2026, 2, 1, 1, tzinfo=UTC))
    assert run_job(market, settlements.generate_last_month) == 1
    assert run_job(market, settlements.generate_last_month) == 0
    [statement] = market.client.get("/marketplace/v1/settlements", headers=me).get_json()["items"]
    assert (statement["period"], statement["order_count"], statement["sales"]["amounts"]) == ("2026-01", 2, {"CNY": 10700})
    xlsx = market.client.get(f"/marketplace/v1/settlements/{statement['id']}/statement.xlsx", headers=me)
    assert xlsx.data == market.client.get(f"/marketplace/v1/settlements/{statement['id']}/statement.xlsx", headers=me).data
    workbook = load_workbook(io.BytesIO(xlsx.data))
    assert workbook.properties.modified == workbook.properties.created == datetime(2026, 2, 1, 1)  # not the wall clock
    rows = list(workbook.active.iter_rows(values_only=True))
    assert any(row[0] == paid["order_no"] for row in rows)
    pdf = market.client.get(f"/marketplace/v1/settlements/{statement['id']}/statement.pdf", headers=me)
    assert pdf.data.startswith(b"%PDF") and pdf.data == market.client.get(
        f"/marketplace/v1/settlements/{statement['id']}/statement.pdf", headers=me).data
    assert market.client.get(f"/marketplace/v1/settlements/{statement['id']}", headers=market.reseller("b", user="b")).status_code == 404


def test_half_yearly_rebate_follows_the_tier_once_per_period(market: Marketplace, clock: FrozenClock) -> None:
    market.publish(price_minor=100000)
    reseller = market.known_reseller()
    market.client.put(f"/marketplace/v1/resellers/{reseller}/tier", headers=market.staff(), json={"tier": "gold"})
    me = market.reseller(reseller)
    order = market.checkout(me, market.customer(me)["id"]).get_json()
    market.pay_online(me, order["id"])
    clock.set(datetime(2026, 7, 1, 2, tzinfo=UTC))
    assert run_job(market, rebate.reward_half_year) == 1
    assert run_job(market, rebate.reward_half_year) == 0
    assert market.client.get("/marketplace/v1/rebate", headers=me).get_json()["balance_minor"] == 4000
    rewards = market.client.get("/marketplace/v1/rebate/entries", headers=me, query_string={"kind": "reward"}).get_json()["items"]
    assert [(r["period"], r["amount_minor"]) for r in rewards] == [("2026-H1", 4000)]


def test_the_code_goes_to_the_invited_users_address_since_tokens_carry_no_email(market: Marketplace) -> None:
    from services.marketplace.service_layer.organisations import record_invited_user
    from shared.envelope import new_event

    reseller = market.known_reseller()
    grant_credit(market, reseller)
    market.handle(record_invited_user, new_event("identity", "identity.user.invited.v1", "u-7", {
        "user_id": "u-7", "org_id": reseller, "org_kind": "reseller", "email": "u7@a.test", "name": "u7",
        "roles": ["reseller_user"]}))
    invited = market.tokens.headers(sub="u-7", org_id=reseller, org_kind="reseller", roles=("reseller_user",))
    assert market.client.post("/marketplace/v1/credit/codes", headers=invited).status_code == 201
    unknown = market.tokens.headers(sub="u-8", org_id=reseller, org_kind="reseller", roles=("reseller_admin",))
    assert market.client.post("/marketplace/v1/credit/codes", headers=unknown).status_code == 201
    sent = [e["recipient"]["email"] for e in market.events("marketplace.credit.code_requested.v1")]
    assert sent == ["u7@a.test", f"contact@{reseller}.test"]


def test_a_credit_code_dies_after_five_wrong_tries_although_each_try_is_refused(market: Marketplace) -> None:
    """Each wrong try answers 422 and rolls its request back; the count of tries is committed on its own."""
    market.publish(price_minor=10700)
    reseller = market.known_reseller()
    me = market.reseller(reseller)
    grant_credit(market, reseller, limit=20000)
    order = market.checkout(me, market.customer(me)["id"], payment_method="credit").get_json()
    url = f"/marketplace/v1/orders/{order['id']}/payments"
    code = emailed_code(market, me)
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][: credit.CODE_MAX_ATTEMPTS]
    for attempt, guess in enumerate(wrong, start=1):
        answer = market.client.post(url, headers=me, json={"method": "credit", "verification_code": guess})
        assert answer.status_code == 422 and answer.get_json()["code"] == "invalid_verification_code"
        with market.context.session_factory() as session:
            assert session.execute(select(credit_codes.c.attempts)).scalar_one() == attempt
    refused = market.client.post(url, headers=me, json={"method": "credit", "verification_code": code})
    assert refused.status_code == 422, "the right code must be dead after five wrong tries"
    assert market.client.get(f"/marketplace/v1/orders/{order['id']}", headers=me).get_json()["status"] == "pending_payment"
    assert market.client.get("/marketplace/v1/credit", headers=me).get_json()["owed_minor"] == 0


def test_a_statement_workbook_keeps_formula_like_names_as_text() -> None:
    """Issue 16 (formula injection): openpyxl writes a string beginning with `=` as a formula unless told otherwise."""
    from types import SimpleNamespace

    from services.marketplace.adapters.documents import statement_xlsx

    line = {"order_no": "=1+1", "total_minor": 10700, "currency": "CNY", "solutions": "=HYPERLINK(\"http://x.example\")",
            "status": "paid", "quantity": 1, "ordered_at": "2026-01-02T00:00:00Z"}
    statement = SimpleNamespace(statement_no="ST-1", period="2026-01", order_count=1, solution_count=1,
                                sales={"amounts": {"CNY": 10700}}, lines=[line], created_at=datetime(2026, 2, 1, tzinfo=UTC))
    sheet = load_workbook(io.BytesIO(statement_xlsx(statement, "=cmd|' /C calc'!A0"))).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    for text in ("=cmd|' /C calc'!A0", "=1+1", "=HYPERLINK(\"http://x.example\")"):
        assert cells[text] == "s", (text, cells[text])
    assert [c.value for c in sheet[sheet.max_row]][1] == 107.0  # amounts stay numbers


def test_a_statement_run_is_for_ended_months_only(market: Marketplace, clock: FrozenClock) -> None:
    """Issue 19: a run for the current month froze it early (later orders never reached a statement); a future month
    answered 201 created 0."""
    market.publish()
    me = market.reseller(market.known_reseller())
    market.checkout(me, market.customer(me)["id"])
    clock.set(datetime(2026, 1, 31, 23, tzinfo=UTC))
    finance = market.staff("finance")
    for period in ("2026-01", "2026-02", "2027-05"):
        refused = market.client.post("/marketplace/v1/settlements/runs", json={"period": period}, headers=finance)
        assert refused.status_code == 422 and refused.get_json()["code"] == "period_not_ended", period
    assert market.client.get("/marketplace/v1/settlements", headers=finance).get_json()["total"] == 0
    clock.set(datetime(2026, 2, 1, 0, 5, tzinfo=UTC))
    ran = market.client.post("/marketplace/v1/settlements/runs", json={"period": "2026-01"}, headers=finance)
    assert ran.status_code == 201 and ran.get_json()["created"] == 1


def test_finance_runs_credit_bills_and_rebate_rewards_for_an_ended_period_on_demand(market: Marketplace, clock: FrozenClock) -> None:
    """Issue 19: rebate and credit bills appeared only from the jobs; finance can now run them for a chosen ended period."""
    market.publish(price_minor=100000)
    reseller = market.known_reseller()
    market.client.put(f"/marketplace/v1/resellers/{reseller}/tier", headers=market.staff(), json={"tier": "gold"})
    me, finance = market.reseller(reseller), market.staff("finance")
    grant_credit(market, reseller)
    market.client.post(f"/marketplace/v1/resellers/{reseller}/credit/offline-uses", headers=finance,
                       json={"amount_minor": 500, "reference": "线下 #1"})
    order = market.checkout(me, market.customer(me)["id"]).get_json()
    market.pay_online(me, order["id"])
    for url, period in (("/marketplace/v1/credit/bills/runs", "2026-01"), ("/marketplace/v1/rebate/runs", "2026-H1")):
        early = market.client.post(url, headers=finance, json={"period": period})
        assert early.status_code == 422 and early.get_json()["code"] == "period_not_ended"
        assert market.client.post(url, headers=me, json={"period": period}).status_code == 403
    assert market.client.post("/marketplace/v1/rebate/runs", headers=finance, json={"period": "2026-07"}).status_code == 422
    assert market.client.get("/marketplace/v1/credit/bills", headers=me).get_json()["total"] == 0
    clock.set(datetime(2026, 7, 1, 2, tzinfo=UTC))
    bills = market.client.post("/marketplace/v1/credit/bills/runs", headers=finance, json={"period": "2026-01"})
    assert bills.status_code == 201 and bills.get_json()["created"] == 1
    rewards = market.client.post("/marketplace/v1/rebate/runs", headers=finance, json={"period": "2026-H1"})
    assert rewards.status_code == 201 and rewards.get_json()["created"] == 1
    assert market.client.post("/marketplace/v1/rebate/runs", headers=finance, json={"period": "2026-H1"}).get_json()["created"] == 0
    assert market.client.get("/marketplace/v1/rebate", headers=me).get_json()["balance_minor"] == 4000
    assert run_job(market, rebate.reward_half_year) == 0
    assert {"credit.bills_run", "rebate.rewards_run"} <= set(market.audit_actions())


def test_finance_adjusts_a_rebate_balance_by_hand_with_a_reason(market: Marketplace) -> None:
    reseller = market.known_reseller()
    market.client.put(f"/marketplace/v1/resellers/{reseller}/tier", headers=market.staff(), json={"tier": "silver"})
    me, finance = market.reseller(reseller), market.staff("finance")
    url = f"/marketplace/v1/resellers/{reseller}/rebate/adjustments"
    assert market.client.post(url, headers=me, json={"amount_minor": 100, "reason": "x"}).status_code == 403
    for bad in ({"amount_minor": 100}, {"amount_minor": 0, "reason": "x"}, {"amount_minor": 1.5, "reason": "x"},
                {"amount_minor": 100, "reason": ""}):
        assert market.client.post(url, headers=finance, json=bad).status_code == 422, bad
    assert market.client.post("/marketplace/v1/resellers/nobody/rebate/adjustments", headers=finance,
                              json={"amount_minor": 100, "reason": "x"}).status_code == 404
    credited = market.client.post(url, headers={**finance, "Idempotency-Key": "adj-1"}, json={"amount_minor": 3000, "reason": "活动补贴"})
    assert credited.status_code == 201, credited.get_json()
    assert (credited.get_json()["kind"], credited.get_json()["balance_after_minor"], credited.get_json()["reason"]) == (
        "adjustment", 3000, "活动补贴")
    replay = market.client.post(url, headers={**finance, "Idempotency-Key": "adj-1"}, json={"amount_minor": 3000, "reason": "活动补贴"})
    assert replay.get_json() == credited.get_json()
    too_much = market.client.post(url, headers=finance, json={"amount_minor": -5000, "reason": "冲正"})
    assert too_much.status_code == 409 and too_much.get_json()["code"] == "insufficient_rebate_balance"
    assert market.client.post(url, headers=finance, json={"amount_minor": -1000, "reason": "冲正"}).status_code == 201
    assert market.client.get("/marketplace/v1/rebate", headers=me).get_json()["balance_minor"] == 2000
    entries = market.client.get(f"/marketplace/v1/resellers/{reseller}/rebate/entries", headers=finance).get_json()["items"]
    assert sorted((e["amount_minor"], e["reason"]) for e in entries) == [(-1000, "冲正"), (3000, "活动补贴")]
    assert market.audit_actions().count("rebate.adjusted") == 2
