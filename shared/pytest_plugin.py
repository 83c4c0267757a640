"""pytest fixtures of the test kit (loaded by the root conftest.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """The admin URL of the tests' PostgreSQL server: TEST_POSTGRES_URL (CI sets it), else an embedded
    server this test session starts (`testkit.embedded_test_postgres`)."""
    admin, reason = testkit.postgres_admin_url()
    if admin is None:
        pytest.skip(reason)
    return admin


@pytest.fixture(scope="session")
def database_templates(postgres_admin: str) -> testkit.TemplateDatabases:
    """Each service's database migrated to head once per test session, to clone for each test
    (`testkit.shared_templates()`, which the contract and security harnesses clone from too)."""
    return testkit.shared_templates()


@pytest.fixture()
def service_database(database_templates: testkit.TemplateDatabases) -> Iterator[Callable[[str], str]]:
    """`service_database(service)`: the URL of a fresh database of `service` at head (a copy of its template),
    dropped after the test. Each service's `database_url` fixture is `service_database(SERVICE)`."""
    made: list[testkit.TemporaryPostgres] = []

    def make(service: str) -> str:
        made.append(database_templates.clone(service))
        return made[-1].url

    yield make
    for database in made:
        database_templates.release(database)


@pytest.fixture()
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    database = testkit.TemporaryPostgres(postgres_admin).create()
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
