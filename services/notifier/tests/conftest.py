"""Fixtures of the notifier service's tests: an app on a fresh migrated database, tokens signed by a
test key, and the worker's parts (consumer handlers, delivery) on the same database."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.notifier.bootstrap import NotifierWorkerParts, build_app, build_context, build_worker_parts
from services.notifier.config import SERVICE, DeliverySettings, Settings, SmtpSettings
from shared.clock import FrozenClock
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.web import ServiceContext

TEST_KEY = "notifier-test-key"


def common_settings(database_url: str) -> CommonSettings:
    return CommonSettings(service=SERVICE, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid")


def worker_settings(database_url: str, smtp_port: int | None) -> Settings:
    smtp = SmtpSettings("127.0.0.1", smtp_port) if smtp_port else None
    return Settings(common=common_settings(database_url), delivery=DeliverySettings(smtp=smtp, secret_key=TEST_KEY))


@pytest.fixture()
def database_url(service_database: Callable[[str], str]) -> str:
    """A fresh database at head (a copy of the session's migrated template, shared/pytest_plugin.py)."""
    return service_database(SERVICE)


@pytest.fixture()
def app(database_url: str, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    return build_app(Settings(common=common_settings(database_url)), verifier=tokens.verifier(), clock=clock)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def var(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture()
def context(database_url: str, clock: FrozenClock) -> ServiceContext:
    return build_context(Settings(common=common_settings(database_url)), clock)


@pytest.fixture()
def make_worker(database_url: str, context: ServiceContext, var: Path) -> Callable[..., NotifierWorkerParts]:
    """The worker's parts; mail goes to SMTP on `smtp_port`, or to var/mail when None."""

    def make(smtp_port: int | None = None) -> NotifierWorkerParts:
        return build_worker_parts(worker_settings(database_url, smtp_port), context, var)

    return make


@pytest.fixture()
def worker(make_worker: Callable[..., NotifierWorkerParts], smtp_sink) -> NotifierWorkerParts:  # type: ignore[no-untyped-def]
    return make_worker(smtp_sink.port)
