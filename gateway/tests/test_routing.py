"""Routing `/<service>/v1/...` to the service of that name, and the service's answer back unchanged."""
from __future__ import annotations

import hashlib
import io

from flask.testing import FlaskClient


def test_request_is_forwarded_to_the_named_service_with_method_path_query_and_body(gateway: FlaskClient) -> None:
    response = gateway.post("/billing/v1/renewal-orders?dry_run=1&x=%E4%B8%AD", json={"items": [{"device_id": "D1", "months": 12}]})

    assert response.status_code == 200
    echoed = response.json
    assert echoed["service"] == "billing"
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/billing/v1/renewal-orders"
    assert echoed["query"] == "dry_run=1&x=%E4%B8%AD"
    assert echoed["content_type"] == "application/json"
    assert echoed["body_bytes"] == len(b'{"items": [{"device_id": "D1", "months": 12}]}')


def test_every_method_reaches_the_service(gateway: FlaskClient) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS"):
        response = gateway.open("/billing/v1/account-config", method=method)
        assert response.status_code == 200, method
        assert response.json["method"] == method


def test_encoded_slash_in_a_path_segment_stays_encoded(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/devices/A%2FB")

    assert response.json["raw_uri"].startswith("/billing/v1/devices/A%2FB")


def test_unknown_service_is_a_404_problem(gateway: FlaskClient) -> None:
    response = gateway.get("/payroll/v1/employees")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "unknown_service"


def test_path_outside_the_service_routes_is_a_404_problem(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v2/devices")

    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_service_headers_come_back_but_hop_by_hop_ones_do_not(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/cookies")

    assert response.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert response.headers["X-Service-Header"] == "kept"
    assert "Keep-Alive" not in response.headers
    assert "Transfer-Encoding" not in response.headers


def test_empty_answer_gets_no_invented_content_type(gateway: FlaskClient) -> None:
    response = gateway.post("/billing/v1/created")

    assert response.status_code == 204
    assert "Content-Type" not in response.headers


def test_large_download_is_streamed_back_intact(gateway: FlaskClient) -> None:
    response = gateway.get("/billing/v1/download?bytes=3145728")

    assert response.status_code == 200
    assert response.data == b"x" * 3145728


def test_multipart_upload_below_the_limit_reaches_the_service_intact(gateway: FlaskClient) -> None:
    content = bytes(range(256)) * 12288  # 3 MiB
    response = gateway.post(
        "/billing/v1/devices/expiry-imports",
        data={"file": (io.BytesIO(content), "expiry.xlsx")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert response.json["content_type"].startswith("multipart/form-data; boundary=")
    assert response.json["body_bytes"] > len(content)
    assert "content-length" in response.json["headers"]


def test_streamed_upload_reaches_the_service_byte_for_byte(gateway: FlaskClient) -> None:
    content = b"0123456789abcdef" * 65536  # 1 MiB, above the in-memory threshold
    response = gateway.put("/billing/v1/blob", data=content, content_type="application/octet-stream")

    assert response.json["body_sha256"] == hashlib.sha256(content).hexdigest()
    assert response.json["headers"]["content-length"] == str(len(content))
