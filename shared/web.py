"""The app factory pieces every service's API uses.

Each request is one unit of work: the session opened on first use is committed after a successful
(< 400) response and rolled back otherwise, so a view's effects, its outbox events, its idempotency
record and its audit rows commit together or not at all.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shared import auth, errors, logs, metrics, request_guard, tracing
from shared.clock import Clock
from shared.db import PlatformTables
from shared.settings import CommonSettings
from shared.uow import Actor, UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ServiceContext:
    """What a service's entrypoints share: its name, database, platform tables, clock and extras."""

    service: str
    session_factory: sessionmaker[Session]
    tables: PlatformTables
    clock: Clock = field(default_factory=Clock)
    extras: dict[str, Any] = field(default_factory=dict)


class SuiteApi(Api):
    ERROR_SCHEMA = errors.ProblemSchema

    def handle_http_exception(self, error):  # type: ignore[no-untyped-def] # flask-smorest hook
        return errors.problem_response(errors.from_http_exception(error))


def current_context() -> ServiceContext:
    return current_app.extensions["suite_context"]


def db() -> Session:
    session = getattr(g, "_suite_session", None)
    if session is None:
        session = current_context().session_factory()
        g._suite_session = session
    return session


def uow() -> UnitOfWork:
    ctx = current_context()
    principal = auth.optional_principal()
    actor = Actor(
        id=principal.sub if principal else None,
        org_id=principal.org_id if principal else None,
        request_id=getattr(g, "request_id", None),
    )
    return UnitOfWork(ctx.service, db(), ctx.tables, ctx.clock, actor)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


def page_of(session: Session, query: Any, page: int, page_size: int) -> dict[str, Any]:
    """Run `query` (a select) for one page; returns {items (rows), total, page, page_size}."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": rows, "total": total, "page": page, "page_size": page_size}


def create_app(
    settings: CommonSettings,
    context: ServiceContext,
    blueprints: Iterable[Blueprint],
    *,
    verifier: auth.TokenVerifier | None = None,
    title: str | None = None,
) -> Flask:
    logs.configure(settings.service)
    tracing.configure(settings.service)
    app = Flask(settings.service)
    app.config.update(
        API_TITLE=title or f"{settings.service} API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["suite_context"] = context
    app.extensions["suite_verifier"] = verifier or auth.TokenVerifier(
        auth.JwksCache(auth.http_jwks(f"{settings.identity_url}/identity/v1/.well-known/jwks.json")),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    api = SuiteApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    errors.register(app)
    _register_probes(app, settings)
    _register_request_lifecycle(app, settings.service)
    _instrument(app)
    return app


def _instrument(app: Flask) -> None:
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app, excluded_urls="healthz,readyz,metrics")


def _register_probes(app: Flask, settings: CommonSettings) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=settings.service)

    @app.get("/readyz")
    def readyz() -> Response:
        try:
            with current_context().session_factory() as session:
                session.execute(text("SELECT 1"))
        except OperationalError:
            return errors.problem_response(errors.Problem(503, "database_unavailable", "the database is not reachable"))
        return jsonify(status="ready", service=settings.service)

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def _register_request_lifecycle(app: Flask, service: str) -> None:
    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.correlation_token = tracing.set_correlation_id(request.headers.get("X-Correlation-ID") or g.request_id)
        if request.path not in ("/healthz", "/readyz", "/metrics"):
            auth.authenticate_request()
            request_guard.check_request()

    @app.after_request
    def finish(response: Response) -> Response:
        response = _end_transaction(response)
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
        metrics.HTTP_SECONDS.labels(service, request.method, route).observe(elapsed)
        return response

    @app.teardown_request
    def close(_exc: BaseException | None) -> None:
        session = g.pop("_suite_session", None)
        if session is not None:
            session.close()


def _end_transaction(response: Response) -> Response:
    session: Session | None = getattr(g, "_suite_session", None)
    if session is None:
        return response
    if response.status_code >= 400:
        session.rollback()
        return response
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        log.info("commit refused by a constraint", exc_info=True)
        return errors.problem_response(errors.Problem(409, "conflict", "the change conflicts with the current state"))
    except OperationalError:
        session.rollback()
        log.warning("commit failed", exc_info=True)
        return errors.problem_response(errors.Problem(503, "try_again", "the change could not be saved; retry"))
    return response
