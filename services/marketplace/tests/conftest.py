"""Fixtures of the marketplace service's tests: an app on a fresh migrated database, tokens signed by a test key.

The sandbox provider's callback is delivered to the app itself through a Flask test client, so the
signed-callback path is exercised end to end without a network.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.marketplace.bootstrap import build_app
from services.marketplace.config import SERVICE, Settings
from services.marketplace.tests.helpers import Marketplace
from shared.clock import FrozenClock
from shared.settings import CommonSettings
from shared.testkit import TokenFactory

OWN_URL = "http://marketplace.test"


@pytest.fixture()
def database_url(service_database: Callable[[str], str]) -> str:
    """A fresh database at head (a copy of the session's migrated template, shared/pytest_plugin.py)."""
    return service_database(SERVICE)


def make_settings(database_url: str, uploads: Path) -> Settings:
    common = CommonSettings(
        service=SERVICE, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid"
    )
    return Settings(common=common, uploads_dir=uploads, payment_secret="test-secret", own_url=OWN_URL)


def app_on(database_url: str, uploads: Path, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    apps: list[Flask] = []

    def post_to_self(url: str, body: bytes, headers: dict[str, str]) -> int:
        with apps[0].test_client() as client:
            return client.post(url.removeprefix(OWN_URL), data=body, headers=headers).status_code

    app = build_app(make_settings(database_url, uploads), verifier=tokens.verifier(), clock=clock, poster=post_to_self)
    apps.append(app)
    return app


@pytest.fixture()
def app(database_url: str, tmp_path: Path, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    return app_on(database_url, tmp_path / "uploads", tokens, clock)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def market(app: Flask, client: FlaskClient, tokens: TokenFactory) -> Marketplace:
    return Marketplace(app, client, tokens)
