"""Fixtures of the suite-wide proofs (tests/reliability, tests/security).

`proof_suite` is one running suite for the whole session, on RabbitMQ + PostgreSQL when
TEST_POSTGRES_URL and AMQP_URL are set (else on the embedded defaults), at ports
8080 + E2E_PORT_OFFSET + 200 so that it never meets the e2e variants' suites (+0, +100). The fault
harness runs on it first; the secrets-in-logs check then greps the logs of everything both did.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import testkit
from tests.suitekit import RunningSuite, port_offset, start_suite


@pytest.fixture(scope="session")
def proof_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    real_parts = testkit.amqp_base_url()[0] is not None and testkit.postgres_admin_url()[0] is not None
    variant = "rabbitmq_postgres" if real_parts else "embedded"
    running = start_suite(variant, Path(tmp_path_factory.mktemp("proof-suite")), port_offset(200), api_workers=1)
    yield running
    running.close()


@pytest.fixture(scope="session")
def proof_admin_token(proof_suite: RunningSuite) -> str:
    return proof_suite.api().login(*proof_suite.admin_credentials)["access_token"]


FIGURES = pytest.StashKey[list[tuple[str, str]]]()


@pytest.fixture()
def figures(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """`figures(title, text)`: print a test's figures now (-s) and again in the terminal summary."""

    def record(title: str, body: str) -> None:
        request.config.stash.setdefault(FIGURES, []).append((title, body))
        print(f"\n== {title}\n{body}")

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    recorded = config.stash.get(FIGURES, [])
    if not recorded:
        return
    terminalreporter.section("reliability and security figures")
    for title, body in recorded:
        terminalreporter.write_line(f"{title}")
        for line in body.splitlines():
            terminalreporter.write_line(f"  {line}")
