"""The gateway's own endpoints: liveness, readiness with a per-service map, Prometheus metrics, /docs."""
from __future__ import annotations

from flask.testing import FlaskClient


def test_healthz_answers_ok(gateway: FlaskClient) -> None:
    response = gateway.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "service": "gateway"}


def test_readyz_stays_ready_with_services_down_and_says_which(gateway: FlaskClient) -> None:
    response = gateway.get("/readyz")

    assert response.status_code == 200
    services = response.json["services"]
    assert services["billing"] == "ready"
    assert services["identity"] == "unreachable"
    assert set(services) == {"identity", "entitlements", "licensing", "billing", "marketplace", "notifier"}


def test_metrics_count_requests_by_service_and_status_and_time_the_services(gateway: FlaskClient) -> None:
    gateway.get("/billing/v1/devices")
    gateway.get("/licensing/v1/enterprises")

    text = gateway.get("/metrics").text

    assert 'gateway_requests_total{method="GET",service="billing",status="200"}' in text
    assert 'gateway_requests_total{method="GET",service="licensing",status="502"}' in text
    assert 'gateway_upstream_duration_seconds_bucket{le="0.005",service="billing"}' in text


def test_docs_page_is_swagger_ui_over_the_merged_document_with_local_assets(gateway: FlaskClient) -> None:
    page = gateway.get("/docs")

    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    html = page.text
    assert 'url: "/openapi.json"' in html
    assert "/docs/assets/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "https://" not in html
    script = gateway.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.data
    assert gateway.get("/docs/assets/swagger-ui.css").status_code == 200


def test_docs_serves_only_the_swagger_ui_assets(gateway: FlaskClient) -> None:
    assert gateway.get("/docs/assets/oauth2-redirect.html").status_code == 404
    assert gateway.get("/docs/assets/..%2F__init__.py").status_code == 404
