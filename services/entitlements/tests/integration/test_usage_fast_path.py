"""The PostgreSQL fast path of usage deduction (one PL/pgSQL call) against the Python path it replaces.

Each comparison runs the same requests on two fresh databases, one served by the fast path and one by the
Python path (`extras["usage_fast_path"] = None`), and expects the same statuses, bodies (byte for byte),
replay headers and books.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from services.entitlements.adapters.orm import order_lines, platform, usage_daily, usage_ledger
from services.entitlements.config import SERVICE
from services.entitlements.service_layer import usage as handlers
from services.entitlements.tests.conftest import make_app
from services.entitlements.tests.portal import USCC, Portal
from shared import testkit
from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.testkit import TokenFactory, race

T1, T2 = "tenant-1", "tenant-2"
LEGACY_15 = "330100716105852"


@pytest.fixture()
def python_portal(postgres_url: str, tokens: TokenFactory, clock: FrozenClock) -> Iterator[Portal]:
    """The same app on a second fresh PostgreSQL database, with the fast path turned off."""
    admin, _ = testkit.postgres_admin_url()
    database = testkit.TemporaryPostgres(admin).create()
    try:
        upgrade(SERVICE, database.url)
        app = make_app(database.url, tokens, clock)
        app.extensions["suite_context"].extras["usage_fast_path"] = None
        yield Portal(app, app.test_client(), tokens)
    finally:
        database.drop()


@pytest.fixture(autouse=True)
def _racing_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """One process runs every request here: let its calls overlap, so that the races below race in PostgreSQL."""
    monkeypatch.setenv(handlers.CONCURRENCY_ENV, "16")


def _fast(app: Flask) -> handlers.UsageFastPath:
    context = app.extensions["suite_context"]
    path = handlers.fast_path(context.extras, context.session_factory.kw["bind"])
    assert path is not None, "PostgreSQL must take the fast path"
    return path


def _pool(portal: Portal, *lines: tuple[int, str], units_per_use: int = 1) -> None:
    portal.tenant_known(T1)
    portal.product("CHECK", kind="traffic", traffic_category="invoice_verification", units_per_use=units_per_use)
    portal.product("SMS", kind="traffic", traffic_category="sms")
    portal.product("FP-ISSUE")
    portal.activated_order(T1, *[{"product_code": "CHECK", "quantity": q, "valid_to": end} for q, end in lines])
    portal.enterprise(T1, USCC[0])
    portal.enterprise(T1, USCC[1])
    portal.tenant_known(T2)
    portal.enterprise(T2, LEGACY_15)


def _books(portal: Portal) -> tuple:
    with portal.context.session_factory() as session:
        remaining = sorted(session.execute(select(order_lines.c.valid_to, order_lines.c.remaining)
                                           .where(order_lines.c.kind == "traffic")).all())
        ledger = session.execute(select(usage_ledger.c.product_code, usage_ledger.c.tax_id, usage_ledger.c.units,
                                        usage_ledger.c.reference).order_by(usage_ledger.c.id)).all()
        daily = sorted(session.execute(select(usage_daily.c.product_code, usage_daily.c.tax_id, usage_daily.c.day,
                                              usage_daily.c.units, usage_daily.c.uses)).all())
        keys = session.execute(select(func.count()).select_from(platform.idempotency_keys)).scalar_one()
    return remaining, ledger, daily, keys


def _answer(response) -> tuple:
    return response.status_code, response.get_data(), response.headers.get("Idempotent-Replayed"), response.mimetype


SINGLE_SCRIPT = [
    # (who, body, idempotency key)
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 2, "reference": "INV-1"}, "k-1"),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 2, "reference": "INV-1"}, "k-1"),  # replay
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 3, "reference": "INV-1"}, "k-1"),  # reused: 422
    ("admin", {"product_code": "CHECK", "tax_id": USCC[1].lower() + " ", "units": 4, "reference": "跨行 \"引用\"\n"}, "k-2"),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 1000}, "k-3"),  # 409, deducts nothing
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 1000}, "k-3"),  # a failure stored nothing: 409 again
    ("admin", {"product_code": "NOPE", "tax_id": USCC[0], "units": 1}, None),
    ("admin", {"product_code": "FP-ISSUE", "tax_id": USCC[0], "units": 1}, None),
    ("admin", {"product_code": "SMS", "tax_id": USCC[0], "units": 1}, None),  # empty pool: nothing left
    ("admin", {"product_code": "CHECK", "tax_id": LEGACY_15, "units": 1}, None),  # another tenant's tax ID
    ("admin", {"product_code": "CHECK", "tax_id": "91110000802100433X", "units": 1}, "k-4"),
    ("admin", {"product_code": "CHECK", "units": 1}, None),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 0}, "k-5"),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 1, "extra": 1}, None),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": True}, None),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 1, "tenant_id": T1}, None),
    ("client0", {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}, "c-1"),
    ("client0", {"product_code": "CHECK", "tax_id": USCC[1], "units": 1}, "c-2"),  # 403 tax_id_not_allowed
    ("client0", {"product_code": "CHECK", "tax_id": USCC[0], "units": 5}, "c-1"),  # reused before the 403 checks
    ("service", {"product_code": "CHECK", "tenant_id": T1, "units": 2, "reference": "sms-1"}, "s-1"),
    ("service", {"product_code": "CHECK", "tenant_id": T1, "units": 2, "reference": "sms-1"}, "s-1"),
    ("service", {"product_code": "CHECK", "tenant_id": T1, "tax_id": USCC[1], "units": 1}, None),
    ("service", {"product_code": "CHECK", "tenant_id": "tenant-unknown", "units": 1}, None),
    ("service", {"product_code": "CHECK", "units": 1}, None),
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 6}, None),  # the rest of the short line and more
    ("admin", {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}, "k-1"),  # reused, whatever the pool says
]


def _run_single(portal: Portal, script: list) -> list[tuple]:
    who = {"admin": portal.admin(T1), "client0": portal.api_client(T1, USCC[0]), "service": portal.service()}
    answers = []
    for caller, body, key in script:
        headers = {**who[caller], **({"Idempotency-Key": key} if key else {})}
        answers.append(_answer(portal.client.post("/entitlements/v1/usage", json=body, headers=headers)))
    return answers


def test_single_deductions_answer_and_book_as_the_python_path(pg_portal, python_portal):
    for portal in (pg_portal, python_portal):
        _pool(portal, (10, "2026-06-30"), (50, "2026-12-31"), units_per_use=2)
    _fast(pg_portal.app)
    fast, python = _run_single(pg_portal, SINGLE_SCRIPT), _run_single(python_portal, SINGLE_SCRIPT)
    for step, (got, expected) in enumerate(zip(fast, python, strict=True)):
        assert got == expected, (step, SINGLE_SCRIPT[step])
    assert [answer[0] for answer in fast[:4]] == [201, 201, 422, 201] and fast[1][2] == "true"
    assert _books(pg_portal) == _books(python_portal)


def test_a_python_path_answer_is_replayed_by_the_fast_path_and_back(pg_portal):
    """Both paths share the idempotency records: a retry after a restart with the fast path on or off is the same."""
    _pool(pg_portal, (100, "2026-12-31"))
    context = pg_portal.context
    headers = {**pg_portal.admin(T1), "Idempotency-Key": "mixed-1"}
    body = {"product_code": "CHECK", "tax_id": USCC[0], "units": 3, "reference": "r"}
    context.extras["usage_fast_path"] = None
    first = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    del context.extras["usage_fast_path"]
    replay = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    _fast(pg_portal.app)
    assert first.status_code == replay.status_code == 201 and replay.get_data() == first.get_data()
    assert replay.headers["Idempotent-Replayed"] == "true"
    headers["Idempotency-Key"] = "mixed-2"
    fast_first = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    context.extras["usage_fast_path"] = None
    python_replay = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    assert python_replay.get_data() == fast_first.get_data() and python_replay.headers["Idempotent-Replayed"] == "true"
    assert _books(pg_portal)[0][0][1] == 94


def test_insufficient_quota_deducts_nothing_and_keeps_no_key(pg_portal):
    _pool(pg_portal, (5, "2026-06-30"), (4, "2026-12-31"))
    _fast(pg_portal.app)
    headers = {**pg_portal.admin(T1), "Idempotency-Key": "short-1"}
    body = {"product_code": "CHECK", "tax_id": USCC[0], "units": 10}
    refused = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "insufficient_quota" and refused.json["available"] == 9 and refused.json["requested"] == 10
    remaining, ledger, daily, keys = _books(pg_portal)
    assert [r for _, r in remaining] == [5, 4] and ledger == [] and daily == [] and keys == 0
    body["units"] = 9  # the same key with another body is a new request: the refusal was not stored
    served = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    assert served.status_code == 201 and served.json["remaining"] == 0 and "Idempotent-Replayed" not in served.headers
    assert len(_books(pg_portal)[1]) == 2  # two lines drawn: two ledger rows


def test_racing_fast_deductions_never_overdraw(pg_portal):
    _pool(pg_portal, (10, "2026-06-30"), (15, "2026-12-31"))
    _fast(pg_portal.app)

    def use(i):
        headers = {**pg_portal.admin(T1), "Idempotency-Key": f"race-{i}"}
        with pg_portal.app.test_client() as client:
            return client.post("/entitlements/v1/usage", headers=headers,
                               json={"product_code": "CHECK", "tax_id": USCC[i % 2], "units": 3 + (i % 3)}).status_code

    statuses = race(16, use)
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 5
    remaining, ledger, _, keys = _books(pg_portal)
    assert sum(units for _, _, units, _ in ledger) + sum(r for _, r in remaining) == 25
    assert min(r for _, r in remaining) >= 0 and keys == statuses.count(201)



def test_racing_twins_of_one_key_deduct_once_and_all_get_the_same_answer(pg_portal):
    _pool(pg_portal, (10, "2026-12-31"))
    _fast(pg_portal.app)

    def twin(_i):
        headers = {**pg_portal.admin(T1), "Idempotency-Key": "twin"}
        with pg_portal.app.test_client() as client:
            answer = client.post("/entitlements/v1/usage", headers=headers,
                                 json={"product_code": "CHECK", "tax_id": USCC[0], "units": 1})
            return answer.status_code, answer.get_data(), answer.headers.get("Idempotent-Replayed")

    twins = race(8, twin)
    assert {status for status, _, _ in twins} == {201} and len({body for _, body, _ in twins}) == 1
    assert [replayed for _, _, replayed in twins].count(None) == 1  # one deducted, seven replayed
    remaining, ledger, _, keys = _books(pg_portal)
    assert [r for _, r in remaining] == [9] and len(ledger) == 1 and keys == 1


BATCH_ITEMS = [
    {"product_code": "CHECK", "tax_id": USCC[0], "units": 4, "reference": "a"},
    {"product_code": "CHECK", "tax_id": USCC[1].lower(), "units": 4, "reference": "b"},
    {"product_code": "CHECK", "tax_id": USCC[0], "units": 4, "reference": "c"},
    {"product_code": "NOPE", "tax_id": USCC[0], "units": 1},
    {"product_code": "CHECK", "tax_id": LEGACY_15, "units": 1},
    {"product_code": "CHECK", "tax_id": USCC[1], "units": 2},
    {"product_code": "SMS", "tax_id": USCC[1], "units": 1},
    {"product_code": "FP-ISSUE", "tax_id": USCC[1], "units": 1},
    {"product_code": "CHECK", "tax_id": USCC[0], "units": 1},
]


def _run_batch(portal: Portal) -> list[tuple]:
    admin = portal.admin(T1)
    posts = [
        (admin, {"items": BATCH_ITEMS}, "b-1"),
        (admin, {"items": BATCH_ITEMS}, "b-1"),
        (admin, {"items": BATCH_ITEMS[:2]}, "b-1"),
        (portal.api_client(T1, USCC[0]), {"items": BATCH_ITEMS}, None),
        (admin, {"items": []}, None),
        (admin, {"items": [{**BATCH_ITEMS[0], "units": -1}]}, "b-2"),
        (admin, {"items": BATCH_ITEMS, "more": 1}, None),
        (portal.service(), {"items": BATCH_ITEMS}, None),
    ]
    return [_answer(portal.client.post("/entitlements/v1/usage/batch", json=body,
                                       headers={**who, **({"Idempotency-Key": key} if key else {})}))
            for who, body, key in posts]


def test_batches_answer_and_book_as_the_python_path(pg_portal, python_portal):
    for portal in (pg_portal, python_portal):
        _pool(portal, (5, "2026-06-30"), (9, "2026-12-31"))
    _fast(pg_portal.app)
    fast, python = _run_batch(pg_portal), _run_batch(python_portal)
    for step, (got, expected) in enumerate(zip(fast, python, strict=True)):
        assert got == expected, step
    assert fast[0][0] == 200 and fast[1][2] == "true" and fast[2][0] == 422
    assert _books(pg_portal) == _books(python_portal)


def test_batch_per_item_results_in_order(pg_portal):
    _pool(pg_portal, (5, "2026-06-30"), (9, "2026-12-31"))
    _fast(pg_portal.app)
    answer = pg_portal.client.post("/entitlements/v1/usage/batch", json={"items": BATCH_ITEMS}, headers=pg_portal.admin(T1))
    assert [(r["index"], r["ok"], r["code"], r["remaining"]) for r in answer.json["results"]] == [
        (0, True, None, 10), (1, True, None, 6), (2, True, None, 2), (3, False, "unknown_product", None),
        (4, False, "unknown_tax_id", None), (5, True, None, 0), (6, False, "insufficient_quota", None),
        (7, False, "unknown_product", None), (8, False, "insufficient_quota", None)]
    assert answer.json["accepted"] == 4 and answer.json["rejected"] == 5
    remaining, ledger, daily, _ = _books(pg_portal)
    assert [r for _, r in remaining] == [0, 0] and len(ledger) == 5  # item b spans both lines
    assert {(tax, units, uses) for _, tax, _, units, uses in daily} == {(USCC[0], 8, 8), (USCC[1], 6, 6)}


def test_racing_fast_batches_and_singles_never_overdraw(pg_portal):
    _pool(pg_portal, (40, "2026-06-30"), (60, "2026-12-31"))
    _fast(pg_portal.app)
    items = [{"product_code": "CHECK", "tax_id": USCC[i % 2], "units": 1 + i % 3} for i in range(10)]

    def act(i):
        with pg_portal.app.test_client() as client:
            if i % 2:
                return client.post("/entitlements/v1/usage/batch", headers=pg_portal.admin(T1), json={"items": items}).status_code
            return client.post("/entitlements/v1/usage", headers=pg_portal.admin(T1),
                               json={"product_code": "CHECK", "tax_id": USCC[0], "units": 7}).status_code

    statuses = race(12, act)
    assert set(statuses) <= {200, 201, 409}
    remaining, ledger, daily, _ = _books(pg_portal)
    used = sum(units for _, _, units, _ in ledger)
    assert used + sum(r for _, r in remaining) == 100 and min(r for _, r in remaining) >= 0
    assert sum(units for *_, units, _ in daily) == used


def test_postgres_takes_the_fast_path_and_can_be_turned_off(pg_portal, monkeypatch):
    _pool(pg_portal, (10, "2026-12-31"))
    flask_requests = []
    pg_portal.app.before_request_funcs.setdefault(None, []).append(lambda: flask_requests.append(1))
    monkeypatch.setattr(handlers, "consume", lambda *a, **k: pytest.fail("the Python path ran"))
    assert pg_portal.use(pg_portal.admin(T1), "CHECK", USCC[0], 1).status_code == 201
    assert flask_requests == []  # the WSGI-level fast route answered, without Flask's request machinery
    body = {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}
    second_tier = pg_portal.client.post("/entitlements/v1/usage?via=flask", json=body, headers=pg_portal.admin(T1))
    assert second_tier.status_code == 201 and flask_requests == [1]  # Flask's view, then the fast path in it
    monkeypatch.undo()
    monkeypatch.setenv(handlers.FAST_PATH_ENV, "0")
    context = pg_portal.context
    context.extras.pop("usage_fast_path")
    assert handlers.fast_path(context.extras, context.session_factory.kw["bind"]) is None
    assert pg_portal.use(pg_portal.admin(T1), "CHECK", USCC[0], 1).json["remaining"] == 7


def _terminate_fast_path_connections(portal: Portal) -> None:
    path = _fast(portal.app)
    pids = [connection.info.backend_pid for connection, _ in path._idle]
    assert pids, "the fast path keeps its idle connections"
    with portal.context.session_factory() as session:
        for pid in pids:
            session.execute(select(func.pg_terminate_backend(pid)))


def test_a_dead_connection_is_pinged_away_or_answered_503_and_replaced(pg_portal, monkeypatch):
    _pool(pg_portal, (10, "2026-12-31"))
    body = {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}
    assert pg_portal.client.post("/entitlements/v1/usage", json=body, headers=pg_portal.admin(T1)).status_code == 201
    _terminate_fast_path_connections(pg_portal)
    monkeypatch.setattr(handlers, "IDLE_PING_SECONDS", 0.0)  # idle long enough to be pinged: reconnects unseen
    assert pg_portal.client.post("/entitlements/v1/usage", json=body, headers=pg_portal.admin(T1)).status_code == 201
    _terminate_fast_path_connections(pg_portal)
    monkeypatch.setattr(handlers, "IDLE_PING_SECONDS", 3600.0)  # used at once: the call fails, nothing is kept
    failed = pg_portal.client.post("/entitlements/v1/usage", json=body, headers={**pg_portal.admin(T1), "Idempotency-Key": "d"})
    assert failed.status_code == 503 and failed.json["code"] == "try_again"
    retried = pg_portal.client.post("/entitlements/v1/usage", json=body, headers={**pg_portal.admin(T1), "Idempotency-Key": "d"})
    assert retried.status_code == 201 and retried.json["remaining"] == 7 and "Idempotent-Replayed" not in retried.headers


def test_at_most_the_configured_number_of_calls_run_at_once(pg_portal, monkeypatch):
    _pool(pg_portal, (1000, "2026-12-31"))
    monkeypatch.setenv(handlers.CONCURRENCY_ENV, "2")
    path = _fast(pg_portal.app)
    running, most, lock = [0], [0], threading.Lock()
    call_now = path._call_now

    def counted(statement, parameters):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.02)  # long enough for the other threads to pile up
            return call_now(statement, parameters)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(path, "_call_now", counted)

    def use(i):
        with pg_portal.app.test_client() as client:
            return client.post("/entitlements/v1/usage", headers={**pg_portal.admin(T1), "Idempotency-Key": f"turn-{i}"},
                               json={"product_code": "CHECK", "tax_id": USCC[0], "units": 1}).status_code

    assert race(12, use) == [201] * 12
    assert most[0] == 2  # the calls did overlap, two at a time and never more
    assert len(path._idle) <= 2  # so no more than two connections were opened
    remaining, ledger, _, keys = _books(pg_portal)
    assert [r for _, r in remaining] == [988] and len(ledger) == 12 and keys == 12


def test_a_deduction_that_waits_too_long_for_its_turn_is_503_and_keeps_nothing(pg_portal, monkeypatch):
    _pool(pg_portal, (10, "2026-12-31"))
    monkeypatch.setenv(handlers.CONCURRENCY_ENV, "1")
    path = _fast(pg_portal.app)
    monkeypatch.setattr(handlers, "WAIT_SECONDS", 0.05)
    headers = {**pg_portal.admin(T1), "Idempotency-Key": "busy"}
    body = {"product_code": "CHECK", "tax_id": USCC[0], "units": 1}
    assert path._turns.acquire(timeout=1)  # every turn taken
    try:
        busy = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    finally:
        path._turns.release()
    assert busy.status_code == 503 and busy.json["code"] == "try_again" and busy.headers["Retry-After"] == "1"
    assert busy.headers["Content-Type"] == "application/problem+json"
    remaining, ledger, _, keys = _books(pg_portal)
    assert [r for _, r in remaining] == [10] and ledger == [] and keys == 0
    served = pg_portal.client.post("/entitlements/v1/usage", json=body, headers=headers)
    assert served.status_code == 201 and served.json["remaining"] == 9 and "Idempotent-Replayed" not in served.headers
