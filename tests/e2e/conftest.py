"""End-to-end fixtures: the whole suite started as processes and driven through the gateway.

`suite` is started once per test session for each variant: `embedded` (the embedded PostgreSQL server
and broker) and `rabbitmq_postgres` (a fresh PostgreSQL database per service and a RabbitMQ virtual host
of its own; skipped, saying why, when TEST_POSTGRES_URL / AMQP_URL are not set). Mail goes to a real
SMTP server (aiosmtpd) the fixture runs; SMS files land in the suite's var/sms.
Ports: 8080+E2E_PORT_OFFSET (default 10000) and +100 for the second variant.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.suitekit import Client, RunningSuite, port_offset, start_suite

__all__ = ["Client", "RunningSuite"]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session", params=["embedded", "rabbitmq_postgres"])
def suite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    offset = port_offset(0 if request.param == "embedded" else 100)
    running = start_suite(request.param, Path(tmp_path_factory.mktemp(request.param)), offset)
    yield running
    running.close()


@pytest.fixture(scope="session")
def admin_token(suite: RunningSuite) -> str:
    return suite.api().login(*suite.admin_credentials)["access_token"]
