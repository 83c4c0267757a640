"""The app factory pieces every service's API uses.

Each request is one unit of work: the session opened on first use is committed after a successful
(< 400) response and rolled back otherwise, so a view's effects, its outbox events, its idempotency
record and its audit rows commit together or not at all.

**Fast routes.** A hot operation may also register a `FastRoute` (`add_fast_route`): a WSGI-level
handler for one method and path that runs without Flask's request machinery (request context, URL
matching, hooks, `Response` objects: ~0.25 ms of CPU a request, a third of a usage deduction's), but
with what the hooks give every request: the bearer token verified, the request and correlation ids,
the server span continuing the caller's trace, the metrics, `X-Request-ID`, problem+json errors. It
takes only the plain case — a JSON body of the declared media type, no query string, a valid bearer
token, text a database can store — and answers None for anything else, so that request goes through
Flask exactly as before (the body is put back for it). Entitlements' usage deductions use it.
"""
from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.http import HTTP_STATUS_CODES

from shared import auth, errors, logs, metrics, query_args, request_guard, tracing
from shared.body_deadline import BodyDeadline
from shared.clock import Clock
from shared.db import PlatformTables
from shared.rejections import DurableRejection, answer_durable_rejection
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
    query_args.strict_query_parameters()  # an undeclared query parameter is a 422, not a silent "match all"
    api = SuiteApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    errors.register(app)
    app.register_error_handler(DurableRejection, answer_durable_rejection)
    _register_probes(app, settings)
    _register_request_lifecycle(app, settings.service)
    _instrument(app)
    fast = _FastRoutes(app, settings.service, app.wsgi_app)
    app.wsgi_app = BodyDeadline.from_env(fast, lambda environ: _body_limit(app, environ))  # type: ignore[method-assign]
    return app


def _body_limit(app: Flask, environ: dict[str, Any]) -> int | None:
    """The most this request's body may be: the route's own limit (`allow_larger_body`) or the service's."""
    limits = app.extensions.get("suite_body_limits") or {}
    route_limit = limits.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))) if limits else None
    return route_limit if route_limit is not None else app.config.get("MAX_CONTENT_LENGTH")


# ---- fast routes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FastRequest:
    """What a fast route gets: the parsed JSON body and its bytes, the verified caller, the WSGI environ."""

    method: str
    path: str
    environ: dict[str, Any]
    body: bytes
    json: Any
    principal: auth.Principal
    app: Flask

    def header(self, name: str) -> str | None:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))


@dataclass(frozen=True)
class FastAnswer:
    status: int
    body: str | bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


# A fast route looks at the request (no side effects, no errors) and either declines it (None: Flask serves it)
# or returns the work that answers it, run inside the request's span; that work may raise `Problem`.
FastRoute = Callable[[FastRequest], Callable[[], FastAnswer] | None]


def add_fast_route(app: Flask, method: str, path: str, route: FastRoute) -> None:
    """Serve `method path` with `route` first; a request it declines (or cannot see) goes to Flask as usual."""
    app.extensions.setdefault("suite_fast_routes", {})[(method, path)] = route


def allow_larger_body(app: Flask, method: str, path: str, limit: int) -> None:
    """Let `method path` (an exact path) take bodies up to `limit` bytes instead of the service's limit.

    Applied first thing in the request (before authentication and the request guard, which reads
    forms): a limit set by a later before_request hook came after the guard had read the form under
    the service's limit (marketplace's 26 MiB uploads were refused at 2 MiB).
    """
    app.extensions.setdefault("suite_body_limits", {})[(method, path)] = limit


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class _FastRoutes:
    """The WSGI middleware that runs the fast routes (see the module's docstring)."""

    def __init__(self, app: Flask, service: str, wsgi_app: Any) -> None:
        self.app = app
        self.service = service
        self.wsgi_app = wsgi_app
        self.routes: dict[tuple[str, str], FastRoute] = app.extensions.setdefault("suite_fast_routes", {})
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = self.routes.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))) if self.routes else None
        if route is not None:
            fast = self._prepare(environ)
            work = route(fast) if fast is not None else None
            if work is not None:
                return self._serve(work, fast, start_response)  # type: ignore[arg-type]
        return self.wsgi_app(environ, start_response)

    def _prepare(self, environ: dict[str, Any]) -> FastRequest | None:
        """The request, when it is the plain kind the fast route may take; else None (Flask decides)."""
        if environ.get("QUERY_STRING"):
            return None
        media_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if length <= 0 or (limit is not None and length > limit):
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again if the route does not take the request
        token = _bearer(environ.get("HTTP_AUTHORIZATION"))
        if len(body) != length or token is None:
            return None
        try:
            parsed = request_guard.parse_json(body)
        except errors.Problem:  # Flask's request guard answers it (400)
            return None
        if request_guard.may_hide_unstorable(body) and request_guard.first_unstorable(parsed, "") is not None:
            return None
        try:
            principal = self.app.extensions["suite_verifier"].verify(token)
        except errors.Problem:
            return None
        return FastRequest(environ["REQUEST_METHOD"], environ["PATH_INFO"], environ, body, parsed, principal, self.app)

    def _serve(self, work: Callable[[], FastAnswer], request_: FastRequest, start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ, started = request_.environ, time.perf_counter()
        request_id = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        correlation = tracing.set_correlation_id(environ.get("HTTP_X_CORRELATION_ID") or request_id)
        span, span_token = tracing.start_server_span(environ, request_.method, request_.path, request_.path)
        answer: FastAnswer | None = None
        error: BaseException | None = None
        try:
            try:
                answer = work()
            except errors.Problem as problem:
                answer = self._problem(problem, request_.path)
            except Exception as unexpected:  # noqa: BLE001 - answered as Flask's errors.register answers it
                log.exception("unhandled error")
                error = unexpected
                answer = self._problem(errors.Problem(500, "internal_error", "an unexpected error occurred"), request_.path)
        finally:
            tracing.end_server_span(span, span_token, answer.status if answer is not None else None, error)
            tracing.reset_correlation_id(correlation)
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(body))), *answer.headers,
                   ("X-Request-ID", request_id)]
        start_response(f"{answer.status} {HTTP_STATUS_CODES.get(answer.status, 'UNKNOWN').upper()}", headers)
        counted = self._metrics.get((request_.method, request_.path, answer.status))
        if counted is None:  # the labelled children, looked up once (`labels()` hashes and locks on every call)
            counted = self._metrics[(request_.method, request_.path, answer.status)] = (
                metrics.HTTP_REQUESTS.labels(self.service, request_.method, request_.path, str(answer.status)),
                metrics.HTTP_SECONDS.labels(self.service, request_.method, request_.path))
        counted[0].inc()
        counted[1].observe(time.perf_counter() - started)
        return [body]

    def _problem(self, problem: errors.Problem, path: str) -> FastAnswer:
        body = self.app.json.dumps(problem.to_dict(instance=path))
        return FastAnswer(problem.status, body, errors.PROBLEM_CONTENT_TYPE, tuple(problem.headers.items()))


def _instrument(app: Flask) -> None:
    tracing.instrument_flask(app, untraced=("/healthz", "/readyz", "/metrics"))


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
        body, content_type = metrics.render()
        return Response(body, mimetype=content_type)


def _register_request_lifecycle(app: Flask, service: str) -> None:
    body_limits: dict[tuple[str, str], int] = app.extensions.setdefault("suite_body_limits", {})

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        if body_limits:
            limit = body_limits.get((request.method, request.path))
            if limit is not None:
                request.max_content_length = limit
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
