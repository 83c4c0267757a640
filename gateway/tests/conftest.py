"""Fixtures of the gateway's tests: stub services on real local HTTP servers, and gateways in front of them.

The stubs are small WSGI apps served by werkzeug in a thread, so the gateway talks real HTTP (pooled
connections, timeouts, refused ports) exactly as it does to the suite's services.
"""
from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, Response, jsonify, request
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from gateway.app import create_app
from shared.auth import TokenVerifier
from shared.settings import SERVICE_PORTS
from shared.testkit import TokenFactory


def echo_service(name: str) -> Flask:
    """A stand-in service that answers with what it received."""
    app = Flask(f"stub-{name}")

    @app.route(f"/{name}/v1/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def echo(rest: str) -> Response:
        body = request.get_data()
        return jsonify(
            service=name,
            method=request.method,
            path=request.path,
            raw_uri=request.environ.get("REQUEST_URI"),
            query=request.query_string.decode(),
            headers={k.lower(): v for k, v in request.headers.items()},
            body_bytes=len(body),
            body_sha256=hashlib.sha256(body).hexdigest(),
            content_type=request.content_type,
        )

    @app.get(f"/{name}/v1/slow")
    def slow() -> Response:
        time.sleep(float(request.args.get("seconds", "1")))
        return jsonify(slept=True)

    @app.get(f"/{name}/v1/cookies")
    def cookies() -> Response:
        response = jsonify(ok=True)
        response.headers.add("Set-Cookie", "a=1; Path=/")
        response.headers.add("Set-Cookie", "b=2; Path=/")
        response.headers["X-Service-Header"] = "kept"
        return response

    @app.get(f"/{name}/v1/download")
    def download() -> Response:
        size = int(request.args.get("bytes", "0"))
        return Response((b"x" * 1024 for _ in range(size // 1024)), mimetype="application/octet-stream")

    @app.post(f"/{name}/v1/created")
    def created() -> Response:
        response = Response(status=204)
        del response.headers["Content-Type"]
        return response

    @app.get("/readyz")
    def readyz() -> Response:
        return jsonify(status="ready")

    return app


class ServedApp:
    def __init__(self, app: Any) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> "ServedApp":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def serve() -> Iterator[Callable[[Any], str]]:
    """serve(wsgi_app) -> base URL of a real HTTP server running it until the test ends."""
    served: list[ServedApp] = []

    def start(app: Any) -> str:
        served.append(ServedApp(app).start())
        return served[-1].url

    yield start
    for item in served:
        item.stop()


@pytest.fixture()
def closed_urls() -> Iterator[dict[str, str]]:
    """Every service at a port where nothing listens (each test puts stubs where it needs them).

    Each port stays bound, without listening, until the test ends: connecting is refused, and no stub
    the test starts can be given the same port (a free port merely closed again could be handed out
    to the test's own stub, which then answered for two services).
    """
    holders = []
    for _ in SERVICE_PORTS:
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        holder.bind(("127.0.0.1", 0))
        holders.append(holder)
    try:
        yield {name: f"http://127.0.0.1:{holder.getsockname()[1]}" for name, holder in zip(SERVICE_PORTS, holders, strict=True)}
    finally:
        for holder in holders:
            holder.close()


@pytest.fixture()
def billing_url(serve: Callable[[Any], str]) -> str:
    return serve(echo_service("billing"))


@pytest.fixture()
def make_gateway(tokens: TokenFactory, closed_urls: dict[str, str]) -> Callable[..., Flask]:
    """make_gateway(service_urls={...}, **config overrides) -> a gateway app verifying `tokens`' tokens."""

    def build(service_urls: dict[str, str] | None = None, *, verifier: TokenVerifier | None = None, **overrides: Any) -> Flask:
        urls = {**closed_urls, **(service_urls or {})}
        overrides.setdefault("redis_url", None)
        return create_app({"service_urls": urls, **overrides}, verifier=verifier or tokens.verifier())

    return build


@pytest.fixture()
def gateway(make_gateway: Callable[..., Flask], billing_url: str) -> Iterator[FlaskClient]:
    """A gateway whose billing is the echo stub (everything else down)."""
    with make_gateway({"billing": billing_url}).test_client() as client:
        yield client
