"""Fixtures of the entitlements service's tests: an app on a fresh migrated database, tokens signed by a test key,
and a `portal` that drives the API as platform staff and tenant admins do."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.entitlements.bootstrap import build_app
from services.entitlements.config import SERVICE, Settings
from services.entitlements.tests.portal import Portal
from shared.clock import FrozenClock
from shared.settings import CommonSettings
from shared.testkit import TokenFactory


@pytest.fixture()
def database_url(service_database: Callable[[str], str]) -> str:
    """A fresh database at head (a copy of the session's migrated template, shared/pytest_plugin.py)."""
    return service_database(SERVICE)


def make_app(database_url: str, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    common = CommonSettings(
        service=SERVICE, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid"
    )
    return build_app(Settings(common=common, portal_url="https://portal.test"), verifier=tokens.verifier(), clock=clock)


@pytest.fixture()
def app(database_url: str, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    return make_app(database_url, tokens, clock)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def portal(app: Flask, client: FlaskClient, tokens: TokenFactory) -> Portal:
    return Portal(app, client, tokens)
