"""pytest fixtures of the test kit (loaded by the root conftest.py)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import testkit
from shared.clock import FrozenClock


@pytest.fixture(scope="session")
def embedded_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[testkit.EmbeddedBroker]:
    broker = testkit.EmbeddedBroker(testkit.free_port(), Path(tmp_path_factory.mktemp("broker"))).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ URL on a virtual host of this test session's own."""
    base, reason = testkit.amqp_base_url()
    if base is None:
        pytest.skip(reason)
    vhost = testkit.TemporaryVhost(base).create()
    yield vhost.url
    vhost.drop()


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    admin, reason = testkit.postgres_admin_url()
    if admin is None:
        pytest.skip(reason)
    database = testkit.TemporaryPostgres(admin).create()
    yield database.url
    database.drop()


@pytest.fixture(params=["embedded", "rabbitmq"])
def any_broker_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on the embedded broker and once on RabbitMQ."""
    if request.param == "embedded":
        return request.getfixturevalue("embedded_broker").url
    return request.getfixturevalue("amqp_url")


@pytest.fixture()
def smtp_sink() -> Iterator[testkit.SmtpSink]:
    sink = testkit.SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture()
def tokens() -> testkit.TokenFactory:
    """Signs access tokens as identity does, with a key of its own (pass `tokens.verifier()` to an app)."""
    return testkit.TokenFactory()


@pytest.fixture()
def clock() -> FrozenClock:
    """A clock the test moves by hand; services get it through `build_app(..., clock=clock)`."""
    return FrozenClock()
