"""Races on PostgreSQL: concurrent batches naming the same tax IDs authorize each enterprise once."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from services.licensing.bootstrap import build_app
from services.licensing.config import SERVICE, Settings
from services.licensing.tests.driver import LicensingDriver, tax_id
from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory

ISSUING = "invoice_issuing"
ROUNDS = 10


@pytest.fixture()
def pg_app(postgres_url: str, tokens: TokenFactory) -> Flask:
    upgrade(SERVICE, postgres_url)
    common = CommonSettings(service=SERVICE, database_url=postgres_url, broker_url="memory://", identity_url="http://identity.invalid")
    return build_app(Settings(common=common), verifier=tokens.verifier(), clock=FrozenClock())


@pytest.fixture()
def pg(pg_app: Flask, admin_headers: dict[str, str]) -> LicensingDriver:
    driver = LicensingDriver(pg_app, pg_app.test_client(), admin_headers, "tenant-1")
    driver.put_erp("formal", False)
    driver.import_(*(tax_id(n) for n in range(ROUNDS * 2)))
    return driver


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_concurrent_requests_authorizing_the_same_tax_id_authorize_it_once(pg: LicensingDriver) -> None:
    for n in range(ROUNDS):
        tax = tax_id(n)
        responses = run_together([lambda tax=tax: pg_post(pg, tax), lambda tax=tax: pg_post(pg, tax)])

        codes = sorted(r.json["results"][0]["code"] for r in responses)
        assert codes == ["already_authorized", "authorized"], responses[0].json
    sent = [d["tax_id"] for d in pg.sent("licensing.license.authorized.v1")]
    assert sorted(sent) == sorted(tax_id(n) for n in range(ROUNDS))
    assert pg.listing(ISSUING)["authorized"] == ROUNDS


def test_overlapping_batches_in_opposite_orders_neither_deadlock_nor_authorize_twice(pg: LicensingDriver) -> None:
    taxes = [tax_id(n) for n in range(ROUNDS, ROUNDS * 2)]

    forward, backward = run_together([lambda: pg.authorize(ISSUING, *taxes), lambda: pg.authorize(ISSUING, *reversed(taxes))])

    assert forward.status_code == backward.status_code == 200
    outcomes = [pg.codes(forward)[t] for t in taxes] + [pg.codes(backward)[t] for t in taxes]
    assert sorted(outcomes) == ["already_authorized"] * ROUNDS + ["authorized"] * ROUNDS
    assert len(pg.sent("licensing.license.authorized.v1")) == ROUNDS


def pg_post(driver: LicensingDriver, tax: str) -> Any:
    return driver.app.test_client().post(
        "/licensing/v1/authorizations", json={"service_group": ISSUING, "tax_ids": [tax]}, headers=driver.headers
    )
