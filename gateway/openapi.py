"""The suite's merged OpenAPI document: every service's paths and components in one, behind /docs.

Each service's components are renamed `<service>.<name>` (two services may both have a `Device`
schema) and every `$ref` and discriminator mapping is rewritten to match; tags become `<service>
<tag>` and operation ids `<service>.<id>`. Security schemes stay unprefixed because the suite has one
(bearer JWT from identity). Only paths under `/<service>/` are taken from a service. A service that
cannot be fetched is left out and named in `x-unavailable-services`.
"""
from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

from gateway.upstream import ServiceUnavailable

PREFIXED_SECTIONS = ("schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BEARER = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
SUITE_SECURITY = [{"bearerAuth": []}]

Document = dict[str, Any]


def _rewrite_ref(ref: str, service: str) -> str:
    for section in PREFIXED_SECTIONS:
        head = f"#/components/{section}/"
        if ref.startswith(head):
            return f"{head}{service}.{ref[len(head):]}"
    return ref


def _rewrite_refs(node: Any, service: str) -> Any:
    """Rewrites, in place, every local component reference in `node` to the prefixed name."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                node[key] = _rewrite_ref(value, service)
            elif key == "discriminator" and isinstance(value, dict) and isinstance(value.get("mapping"), dict):
                value["mapping"] = {k: _rewrite_ref(v, service) if isinstance(v, str) else v for k, v in value["mapping"].items()}
            else:
                _rewrite_refs(value, service)
    elif isinstance(node, list):
        for item in node:
            _rewrite_refs(item, service)
    return node


def _tag(service: str, name: str) -> str:
    return f"{service} {name}"


def _add_operations(merged: Document, service: str, document: Document) -> None:
    service_security = document.get("security", [])
    for path, item in document.get("paths", {}).items():
        if not path.startswith(f"/{service}/"):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            operation["tags"] = [_tag(service, t) for t in operation.get("tags", [])] or [service]
            if "operationId" in operation:
                operation["operationId"] = f"{service}.{operation['operationId']}"
            if "security" not in operation and service_security != SUITE_SECURITY:
                operation["security"] = service_security
        merged["paths"][path] = item


def _add_service(merged: Document, service: str, document: Document) -> None:
    document = _rewrite_refs(copy.deepcopy(document), service)
    components = document.get("components", {})
    for section in PREFIXED_SECTIONS:
        for name, item in components.get(section, {}).items():
            merged["components"].setdefault(section, {})[f"{service}.{name}"] = item
    for name, scheme in components.get("securitySchemes", {}).items():
        merged["components"]["securitySchemes"].setdefault(name, scheme)
    for tag in document.get("tags", []):
        merged["tags"].append({**tag, "name": _tag(service, tag["name"])})
    _add_operations(merged, service, document)


def merge(documents: Mapping[str, Document], unavailable: list[str]) -> Document:
    """One OpenAPI 3 document from the services' documents (in the order given) and the gateway's own."""
    merged: Document = {
        "openapi": "3.0.3",
        "info": {
            "title": "Commercial operations suite API",
            "version": "v1",
            "description": "Every service of the suite behind the gateway. Send `Authorization: Bearer <access_token>` "
            "from `POST /identity/v1/auth/login`. Errors are RFC 9457 problem+json with a stable `code`.",
        },
        "paths": {},
        "components": {"securitySchemes": dict(BEARER)},
        "tags": [],
        "security": SUITE_SECURITY,
        "x-unavailable-services": sorted(unavailable),
    }
    for service, document in documents.items():
        _add_service(merged, service, document)
    merged["paths"].update(gateway_paths())
    merged["tags"].append({"name": "gateway", "description": "The gateway's own endpoints"})
    return merged


def _plain(summary: str, media: str, description: str) -> Document:
    return {
        "get": {
            "tags": ["gateway"],
            "summary": summary,
            "security": [],
            "responses": {"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}}},
        }
    }


def gateway_paths() -> dict[str, Document]:
    return {
        "/healthz": _plain("The gateway process is alive", "application/json", "alive"),
        "/readyz": _plain("The gateway can serve; per-service status in `services`", "application/json", "ready"),
        "/metrics": _plain("Prometheus metrics of this gateway worker", "text/plain", "metrics in the text format"),
        "/openapi.json": _plain("This merged document", "application/json", "OpenAPI 3 document"),
        "/docs": _plain("Swagger UI over this document", "text/html", "HTML page"),
    }


class MergedOpenApi:
    """Fetches the services' documents in parallel and keeps the merged one for `ttl` seconds
    (5 s at most while a service is missing, so it reappears soon after it comes back)."""

    def __init__(self, services: Iterable[str], fetch: Callable[[str], Document], executor: Executor, *, ttl: float) -> None:
        self.services = list(services)
        self._fetch = fetch
        self._executor = executor
        self.ttl = ttl
        self._cached: Document | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def document(self) -> Document:
        with self._lock:
            if self._cached is None or time.monotonic() >= self._expires:
                self._cached, unavailable = self._build()
                self._expires = time.monotonic() + (min(self.ttl, 5.0) if unavailable else self.ttl)
            return self._cached

    def _build(self) -> tuple[Document, list[str]]:
        futures = {service: self._executor.submit(self._fetch, service) for service in self.services}
        documents: dict[str, Document] = {}
        unavailable: list[str] = []
        for service, future in futures.items():
            try:
                document = future.result()
            except ServiceUnavailable:
                unavailable.append(service)
                continue
            if isinstance(document, dict):
                documents[service] = document
            else:
                unavailable.append(service)
        return merge(documents, unavailable), unavailable
