"""Composition root of the marketplace service: builds its context, API app and worker from settings."""
from __future__ import annotations

from flask import Flask

from services.marketplace.adapters import orm
from services.marketplace.config import SERVICE, Settings
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.db import make_engine, make_session_factory
from shared.web import ServiceContext, create_app


def build_context(settings: Settings, clock: Clock | None = None) -> ServiceContext:
    engine = make_engine(settings.common.database_url)
    return ServiceContext(SERVICE, make_session_factory(engine), orm.platform, clock or Clock())


def build_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None) -> Flask:
    from services.marketplace.entrypoints.http import blueprints

    settings = settings or Settings.from_env()
    return create_app(settings.common, build_context(settings, clock), blueprints(), verifier=verifier)
