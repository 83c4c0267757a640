"""Composition root of the marketplace service: builds its context, API app and worker from settings."""
from __future__ import annotations

from flask import Flask

from services.marketplace.adapters import orm
from services.marketplace.adapters.file_store import FileStore
from services.marketplace.adapters.refunds import SandboxRefunds
from services.marketplace.adapters.sandbox_provider import Poster, SandboxProvider, http_poster
from services.marketplace.config import SERVICE, UPLOAD_BODY_BYTES, Settings
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.db import make_engine, make_session_factory
from shared.web import ServiceContext, allow_larger_body, create_app

UPLOAD_PATHS = ("/marketplace/v1/reseller-applications", "/marketplace/v1/tickets")


def build_context(settings: Settings, clock: Clock | None = None, *, poster: Poster = http_poster) -> ServiceContext:
    engine = make_engine(settings.common.database_url)
    context = ServiceContext(SERVICE, make_session_factory(engine), orm.platform, clock or Clock())
    context.extras["file_store"] = FileStore(settings.uploads_dir)
    context.extras["sandbox_provider"] = SandboxProvider(settings.own_url, settings.payment_secret, poster, context.clock.now)
    context.extras["refund_provider"] = SandboxRefunds()
    return context


def build_app(
    settings: Settings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None,
    poster: Poster = http_poster,
) -> Flask:
    from services.marketplace.entrypoints.http import blueprints

    settings = settings or Settings.from_env()
    app = create_app(settings.common, build_context(settings, clock, poster=poster), blueprints(), verifier=verifier)

    for path in UPLOAD_PATHS:  # multipart uploads may carry five 5 MiB files; the rest keep the suite's body limit
        allow_larger_body(app, "POST", path, UPLOAD_BODY_BYTES)
    return app
