"""Fixtures of the notifier service's tests: an app on a fresh migrated database, tokens signed by a test key."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.notifier.bootstrap import build_app
from services.notifier.config import SERVICE, Settings
from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory


@pytest.fixture()
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture()
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture()
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'notifier.db'}"
    upgrade(SERVICE, url)
    return url


@pytest.fixture()
def app(database_url: str, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    common = CommonSettings(
        service=SERVICE, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid"
    )
    return build_app(Settings(common=common), verifier=tokens.verifier(), clock=clock)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client
