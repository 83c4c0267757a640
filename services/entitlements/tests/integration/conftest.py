"""Integration fixtures: the entitlements app on a fresh PostgreSQL database, and a way to race requests."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from services.entitlements.config import SERVICE
from services.entitlements.tests.conftest import make_app
from services.entitlements.tests.portal import Portal
from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.testkit import TokenFactory


@pytest.fixture()
def pg_app(postgres_url: str, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    upgrade(SERVICE, postgres_url)
    return make_app(postgres_url, tokens, clock)


@pytest.fixture()
def pg_portal(pg_app: Flask, tokens: TokenFactory) -> Portal:
    return Portal(pg_app, pg_app.test_client(), tokens)


def race(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Runs `action(i)` for i in range(count) on as many threads, released together; returns the results in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = action(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each racer got
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
