"""Integration fixtures: the entitlements app on a fresh PostgreSQL database (races use `shared.testkit.race`)."""
from __future__ import annotations

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
