"""Fixtures of the identity service's tests: an app on a fresh migrated database that trusts both its
own signing keys and a test key (`tokens`), the platform admin's session, and the outbox's events."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.identity.bootstrap import build_app, build_context
from services.identity.config import SERVICE, Settings
from services.identity.tests.flows import ADMIN_PASSWORD, ADMIN_USERNAME, Flows
from shared.auth import JwksCache, TokenVerifier
from shared.clock import FrozenClock
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.web import ServiceContext


@pytest.fixture()
def database_url(service_database: Callable[[str], str]) -> str:
    """A fresh database at head (a copy of the session's migrated template, shared/pytest_plugin.py)."""
    return service_database(SERVICE)


def make_settings(database_url: str) -> Settings:
    common = CommonSettings(service=SERVICE, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid")
    return Settings(
        common=common, key_encryption_key=b"0123456789abcdef0123456789abcdef", admin_username=ADMIN_USERNAME,
        admin_password=ADMIN_PASSWORD, portal_url="https://portal.test", key_activation_seconds=0,
    )


@pytest.fixture()
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture()
def context(settings: Settings, clock: FrozenClock) -> ServiceContext:
    return build_context(settings, clock)


def verifier_trusting(context: ServiceContext, tokens: TokenFactory) -> TokenVerifier:
    ring = context.extras["kit"].keys

    def fetch() -> dict[str, Any]:
        return {"keys": ring.jwks_in_own_session()["keys"] + tokens.jwks()["keys"]}

    return TokenVerifier(JwksCache(fetch, min_refetch_interval=0), issuer="suite-identity", audience="suite")


@pytest.fixture()
def app(settings: Settings, context: ServiceContext, tokens: TokenFactory) -> Flask:
    return build_app(settings, verifier=verifier_trusting(context, tokens), context=context)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def outbox(context: ServiceContext) -> Any:
    """`outbox(type)`: the data of every event of that type written so far, oldest first."""
    table = context.tables.outbox

    def events(event_type: str) -> list[dict[str, Any]]:
        with context.session_factory() as session:
            rows = session.execute(select(table.c.payload).where(table.c.type == event_type).order_by(table.c.id)).all()
        return [json.loads(row.payload)["data"] for row in rows]

    return events


@pytest.fixture()
def flows(client: FlaskClient, outbox: Any, clock: FrozenClock) -> Flows:
    return Flows(client, outbox, clock)
