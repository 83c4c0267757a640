"""The web app's factory: `granian --interface wsgi --factory web.app:create_app` (as the launcher runs it).

A backend-for-frontend: it renders pages on the server and reaches data only through the gateway's
public API (web/gateway_client.py) with the signed-in user's token. The gateway routes `/portal` and
`/market` (and the static files under `/portal/static`) here, so pages and API share one origin.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from cachelib import BaseCache, FileSystemCache, RedisCache
from flask import Flask, jsonify, redirect, render_template, request, session, url_for
from flask_babel import Babel
from flask_session import Session
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from shared import logs, tracing
from web import security
from web.auth import SessionEnded, TokenVault, login_redirect, signed_in
from web.config import SERVICE, WebConfig
from web.gateway_client import ApiError, GatewayClient
from web.i18n import LANGUAGES, select_locale, when
from web.labels import TEMPLATE_LABELS
from web.messages import problem_message
from web.pages import register_pages

STATIC_PATH = "/portal/static"
# Pages anyone may post to (no signed-in session behind them).
ANONYMOUS_ENDPOINTS = frozenset({"auth.login", "auth.activate", "auth.language", "payments.pay", None})


def _store(config: WebConfig) -> BaseCache:
    if config.session_redis_url:
        return RedisCache(host=redis.Redis.from_url(config.session_redis_url), key_prefix="web:")
    return FileSystemCache(config.session_dir, threshold=100_000, mode=0o600)


def create_app(
    config: WebConfig | Mapping[str, Any] | None = None, *, gateway: GatewayClient | None = None, store: BaseCache | None = None,
) -> Flask:
    """The web app; `config` is a full `WebConfig` or overrides of the environment's settings."""
    settings = config if isinstance(config, WebConfig) else WebConfig.from_env().with_overrides(config or {})
    logs.configure(SERVICE)
    tracing.configure(SERVICE)
    app = Flask(SERVICE, static_folder="static", static_url_path=STATIC_PATH, root_path=__file__.rsplit("/", 1)[0])
    cache = store or _store(settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=cache,
        SESSION_KEY_PREFIX="web-session:",
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=settings.session_minutes * 60,
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_PATH="/",
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session, which ends on its own
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",  # the users' time; the API speaks UTC
        BABEL_TRANSLATION_DIRECTORIES="translations",
        MAX_CONTENT_LENGTH=1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    Session(app)
    app.session_interface = _secure_when_https(app.session_interface)
    CSRFProtect(app)
    Babel(app, locale_selector=select_locale)
    app.extensions["web_gateway"] = gateway or GatewayClient(settings.gateway_url, timeout=settings.api_timeout)
    app.extensions["web_vault"] = TokenVault(cache, settings.session_minutes * 60 + 3600)
    app.extensions["web_config"] = settings
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    tracing.instrument_flask(app, untraced=("/healthz", "/readyz"))
    security.register(app)
    _register_template_globals(app)
    _register_errors(app)
    _register_health(app)
    register_pages(app)
    return app


def _secure_when_https(interface: Any) -> Any:
    """The session cookie is Secure when the request came over HTTPS (the gateway's X-Forwarded-Proto)."""
    original = interface.get_cookie_secure

    def get_cookie_secure(app: Flask) -> bool:
        return bool(original(app) or request.is_secure)

    interface.get_cookie_secure = get_cookie_secure
    return interface


def _register_template_globals(app: Flask) -> None:
    from web.auth import current_user

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    def csrf_field() -> Markup:
        """The CSRF token as a hidden input (no id: several forms share a page)."""
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())

    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.filters.update(TEMPLATE_LABELS)
    app.jinja_env.filters["when"] = when

    @app.context_processor
    def portal_globals() -> dict[str, Any]:
        return {
            "signed_in": signed_in(),
            "current_user": current_user(),
            "is_tenant_admin": "tenant_admin" in (current_user().get("roles") or []),
            "is_support": bool({"support", "platform_admin"} & set(current_user().get("roles") or [])),
            "languages": LANGUAGES,
            "current_language": select_locale(),
        }


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        """A form whose session ended meanwhile (idle timeout) goes to sign-in and back; others are refused."""
        if not signed_in() and request.endpoint not in ANONYMOUS_ENDPOINTS:
            from flask import flash
            from flask_babel import gettext as _

            flash(_("Your session has ended. Sign in again."), "info")
            return login_redirect()
        return render_template("error.html", status=400, message=None, csrf=True), 400

    @app.errorhandler(SessionEnded)
    def session_ended(error: SessionEnded) -> Response:
        from flask import flash
        from flask_babel import gettext as _

        session.pop("auth", None)
        session.pop("user", None)
        flash(_("Your session has ended. Sign in again."), "info")
        return login_redirect()

    @app.errorhandler(ApiError)
    def api_refused(error: ApiError) -> tuple[str, int]:
        status = error.status if 400 <= error.status < 600 else 502
        return render_template("error.html", status=status, message=problem_message(error)), status

    @app.errorhandler(403)
    def forbidden(error: Exception) -> tuple[str, int]:
        from flask_babel import gettext as _

        return render_template("error.html", status=403, message=_("Your role does not allow this.")), 403

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=404, message=None), 404

    @app.errorhandler(405)
    def not_allowed(error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=405, message=None), 405


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", service=SERVICE)

    @app.get("/readyz")
    def readyz() -> Response:
        return jsonify(status="ready", service=SERVICE)

    @app.get("/")
    def root() -> Response:
        return redirect(url_for("portal.home"))
