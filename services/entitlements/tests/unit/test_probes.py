"""Every service answers its probes, metrics and OpenAPI document."""


def test_health_ready_metrics_and_openapi_are_served(client):
    assert client.get("/healthz").json["status"] == "ok"
    assert client.get("/readyz").json["status"] == "ready"
    assert b"http_requests_total" in client.get("/metrics").data
    assert client.get("/openapi.json").json["info"]["title"] == "entitlements API"


def test_unknown_route_is_problem_json(client):
    response = client.get("/entitlements/v1/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "not_found"
