"""The merged `/openapi.json`: every service's paths, components renamed per service, refs intact."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from gateway.openapi import merge


def smorest_service(name: str, device_fields: dict[str, fields.Field]) -> Flask:
    """A stand-in service documented by flask-smorest like the real ones, with a `Device` schema of its own."""
    app = Flask(f"doc-{name}")
    app.config.update(API_TITLE=name, API_VERSION="v1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json")
    api = Api(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    device = Schema.from_dict(device_fields, name="Device")
    page = Schema.from_dict({"items": fields.List(fields.Nested(device)), "total": fields.Integer()}, name="DevicePage")
    blp = Blueprint("devices", __name__, url_prefix=f"/{name}/v1/devices", description=f"{name} devices")

    @blp.route("")
    class Devices(MethodView):
        @blp.response(200, page)
        def get(self) -> dict[str, Any]:
            """List devices"""
            return {"items": [], "total": 0}

        @blp.arguments(device)
        @blp.response(201, device)
        def post(self, body: dict[str, Any]) -> dict[str, Any]:
            """Add a device"""
            return body

    api.register_blueprint(blp)
    return app


@pytest.fixture()
def documented(serve: Callable[[Any], str]) -> dict[str, str]:
    return {
        "billing": serve(smorest_service("billing", {"device_id": fields.String(required=True), "expires_on": fields.Date()})),
        "marketplace": serve(smorest_service("marketplace", {"sku_code": fields.String(required=True)})),
    }


@pytest.fixture()
def merged(make_gateway: Callable[..., Flask], documented: dict[str, str]) -> dict[str, Any]:
    response = make_gateway(documented).test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.json


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_merged_document_has_the_paths_of_every_available_service(merged: dict[str, Any]) -> None:
    assert merged["openapi"].startswith("3.")
    assert merged["info"]["title"]
    assert "/billing/v1/devices" in merged["paths"]
    assert "/marketplace/v1/devices" in merged["paths"]
    assert set(merged["paths"]["/billing/v1/devices"]) >= {"get", "post"}


def test_clashing_schema_names_are_prefixed_by_service(merged: dict[str, Any]) -> None:
    schemas = merged["components"]["schemas"]

    assert "device_id" in schemas["billing.Device"]["properties"]
    assert "sku_code" in schemas["marketplace.Device"]["properties"]
    assert "Device" not in schemas


def test_every_reference_resolves_to_its_own_services_component(merged: dict[str, Any]) -> None:
    refs = list(_refs(merged))

    assert refs
    for ref in refs:
        assert _resolve(merged, ref) is not None
    billing_page = merged["paths"]["/billing/v1/devices"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert billing_page["$ref"] == "#/components/schemas/billing.DevicePage"
    assert _resolve(merged, billing_page["$ref"])["properties"]["items"]["items"]["$ref"] == "#/components/schemas/billing.Device"


def test_operations_are_tagged_by_service_and_secured_by_the_bearer_scheme(merged: dict[str, Any]) -> None:
    operation = merged["paths"]["/marketplace/v1/devices"]["post"]

    assert operation["tags"] == ["marketplace devices"]
    assert {"name": "marketplace devices", "description": "marketplace devices"} in merged["tags"]
    assert merged["security"] == [{"bearerAuth": []}]
    assert merged["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path_item in merged["paths"].values():
        for operation in path_item.values():
            assert operation["responses"], "every operation documents its responses"


def test_services_that_are_down_are_left_out_and_listed(merged: dict[str, Any]) -> None:
    assert merged["x-unavailable-services"] == ["entitlements", "identity", "licensing", "notifier"]
    assert not any(path.startswith("/identity/") for path in merged["paths"])


def test_gateway_documents_its_own_endpoints_as_public(merged: dict[str, Any]) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert merged["paths"][path]["get"]["security"] == []


def test_document_is_cached_for_its_ttl(make_gateway: Callable[..., Flask], serve: Callable[[Any], str]) -> None:
    fetches: list[str] = []
    service = smorest_service("billing", {"device_id": fields.String()})

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        fetches.append(environ["PATH_INFO"])
        return service(environ, start_response)

    client = make_gateway({"billing": serve(counting)}, openapi_ttl=60).test_client()
    first = client.get("/openapi.json").json
    second = client.get("/openapi.json").json

    assert first == second
    assert fetches == ["/openapi.json"]


def test_merge_rewrites_refs_inside_discriminator_mappings_and_drops_foreign_paths() -> None:
    document = {
        "openapi": "3.0.3",
        "paths": {
            "/billing/v1/payments": {"post": {"responses": {"200": {"$ref": "#/components/responses/Paid"}}, "operationId": "pay"}},
            "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
        "components": {
            "schemas": {
                "Method": {
                    "oneOf": [{"$ref": "#/components/schemas/Card"}],
                    "discriminator": {"propertyName": "kind", "mapping": {"card": "#/components/schemas/Card"}},
                },
                "Card": {"type": "object"},
            },
            "responses": {
                "Paid": {"description": "paid", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Method"}}}}
            },
        },
    }

    merged = merge({"billing": document}, [])

    method = merged["components"]["schemas"]["billing.Method"]
    assert method["discriminator"]["mapping"]["card"] == "#/components/schemas/billing.Card"
    assert method["oneOf"][0]["$ref"] == "#/components/schemas/billing.Card"
    operation = merged["paths"]["/billing/v1/payments"]["post"]
    assert operation["responses"]["200"]["$ref"] == "#/components/responses/billing.Paid"
    assert operation["operationId"] == "billing.pay"
    assert merged["paths"]["/healthz"]["get"]["tags"] == ["gateway"]
    assert document["components"]["schemas"]["Method"]["oneOf"][0]["$ref"] == "#/components/schemas/Card", "input untouched"
