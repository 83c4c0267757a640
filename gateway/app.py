"""The gateway's app factory: `granian --interface wsgi --factory gateway.app:create_app` (as the launcher runs it).

Or under gunicorn, with gevent or gthread workers: `gunicorn 'gateway.app:create_app()'`.

Routes `/<service>/v1/...` to that service unchanged, after the edge checks (token, rate, body size),
and `/portal`, `/market` (the web app's pages, anonymous at the edge) to the web app, each with the
request id and trace context; serves `/healthz`, `/readyz`, `/metrics`, the merged
`/openapi.json` and `/docs`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import metrics
from gateway.config import SERVICE, GatewayConfig
from gateway.docs import docs_blueprint
from gateway.edge import Admission
from gateway.fastpath import PROXIED_METHODS, WEB, ProxyPath, request_id
from gateway.openapi import MergedOpenApi
from gateway.ratelimit import build_limiter
from gateway.telemetry import ServerSpans
from gateway.upstream import ServiceProxy, ServiceUnavailable
from shared import errors, logs, tracing
from shared.auth import JwksCache, TokenVerifier, http_jwks
from shared.body_deadline import BodyDeadline
from shared.metrics import render as render_metrics

log = logging.getLogger(__name__)


def create_app(config: GatewayConfig | Mapping[str, Any] | None = None, *, verifier: TokenVerifier | None = None) -> Flask:
    """The gateway; `config` is a full `GatewayConfig` or overrides of the environment's settings."""
    settings = config if isinstance(config, GatewayConfig) else GatewayConfig.from_env().with_overrides(config or {})
    logs.configure(SERVICE)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # the gateway logs failures itself
    tracing.configure(SERVICE)
    app = Flask(SERVICE)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    routed = {**settings.service_urls, **({WEB: settings.web_url} if settings.web_url else {})}
    proxy = ServiceProxy(
        routed,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        pool_size=settings.pool_size,
    )
    admission = Admission(
        verifier
        or TokenVerifier(JwksCache(http_jwks(settings.identity_jwks_url)), issuer=settings.jwt_issuer, audience=settings.jwt_audience),
        build_limiter(settings.rate_per_second, settings.burst, settings.redis_url),
    )
    fanout = ThreadPoolExecutor(max_workers=max(1, len(settings.service_urls)), thread_name_prefix="gateway-fanout")
    openapi_timeout = min(settings.read_timeout, 5.0)
    openapi = MergedOpenApi(
        settings.service_urls,
        lambda service: proxy.get_json(service, "/openapi.json", openapi_timeout),
        fanout,
        ttl=settings.openapi_ttl,
    )

    errors.register(app)
    app.register_blueprint(docs_blueprint())
    _register_unknown_services(app)
    _register_own_endpoints(app, settings, proxy, fanout, openapi)
    _register_request_lifecycle(app)
    # Proxied requests take the plain-WSGI path (gateway/fastpath.py); the rest reaches Flask.
    wsgi: Any = ProxyPath(app.wsgi_app, proxy, admission, settings.max_body_bytes)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        wsgi = ProxyFix(wsgi, x_for=n, x_proto=n, x_host=n)
    # Bodies are read whole, within deadlines, before the proxy path sees them (shared/body_deadline.py).
    app.wsgi_app = ServerSpans(BodyDeadline.from_env(wsgi, lambda _environ: settings.max_body_bytes))  # type: ignore[method-assign]
    return app


def _register_unknown_services(app: Flask) -> None:
    """`/<service>/v1/...` of a service the gateway does not know (known ones never reach Flask)."""

    def unknown(service: str, rest: str = "") -> Response:
        raise errors.Problem(404, "unknown_service", f"there is no service named {service!r}")

    methods = sorted(PROXIED_METHODS)
    app.add_url_rule("/<service>/v1", "forward_root", unknown, methods=methods, provide_automatic_options=False)
    app.add_url_rule("/<service>/v1/<path:rest>", "forward", unknown, methods=methods, provide_automatic_options=False)


def _register_own_endpoints(app: Flask, settings: GatewayConfig, proxy: ServiceProxy, fanout: Executor, openapi: MergedOpenApi) -> None:
    def service_status(service: str) -> str:
        try:
            proxy.get_json(service, "/readyz", settings.probe_timeout)
        except ServiceUnavailable as exc:
            return "unreachable" if exc.status is None else "not_ready"
        return "ready"

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=SERVICE)

    @app.get("/readyz")
    def readyz() -> Response:
        futures = {name: fanout.submit(service_status, name) for name in settings.service_urls}
        return jsonify(status="ready", service=SERVICE, services={name: f.result() for name, f in futures.items()})

    @app.get("/metrics")
    def prometheus() -> Response:
        body, content_type = render_metrics()
        return Response(body, mimetype=content_type)

    @app.get("/openapi.json")
    def merged_openapi() -> Response:
        return jsonify(openapi.document())


def _register_request_lifecycle(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id(request.headers.get("X-Request-ID"))
        tracing.set_correlation_id(request.headers.get("X-Correlation-ID") or g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        status = response.status_code
        service = g.get("service", SERVICE)
        metrics.count_request(service, request.method, status)
        if status in (502, 504):
            log.warning("service %s failed: %s", service, status, extra={"fields": {"request_id": g.get("request_id")}})
        return response
