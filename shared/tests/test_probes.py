"""Every service answers its probes, metrics and OpenAPI document, and an unknown route is problem+json
(once for all six services: the platform's app factory serves these, shared/web.py)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from shared.launcher import available_services
from shared.testkit import TokenFactory


@pytest.fixture(params=available_services())
def service(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture()
def client(service: str, service_database: Callable[[str], str], tmp_path: Path, tokens: TokenFactory) -> FlaskClient:
    """The service's app as its own tests build it (tests/security/apps.py), on a fresh database."""
    from tests.security import apps

    return apps.build(service, tmp_path, tokens, database_url=service_database(service)).test_client()


def test_health_ready_metrics_and_openapi_are_served(service: str, client: FlaskClient) -> None:
    assert client.get("/healthz").json["status"] == "ok"
    assert client.get("/readyz").json["status"] == "ready"
    assert b"http_requests_total" in client.get("/metrics").data
    assert client.get("/openapi.json").json["info"]["title"] == f"{service} API"


def test_unknown_route_is_problem_json(service: str, client: FlaskClient) -> None:
    response = client.get(f"/{service}/v1/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "not_found"
