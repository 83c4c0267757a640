"""Composition root of the entitlements service: builds its context, API app and worker from settings."""
from __future__ import annotations

from flask import Flask

from services.entitlements.adapters import orm
from services.entitlements.adapters.registration import OfflineRegistrationLookup, RegistrationLookup
from services.entitlements.config import SERVICE, Settings
from services.entitlements.service_layer.policy import Policy
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.db import make_engine, make_session_factory
from shared.web import ServiceContext, create_app


def build_context(settings: Settings, clock: Clock | None = None, lookup: RegistrationLookup | None = None) -> ServiceContext:
    engine = make_engine(settings.common.database_url)
    context = ServiceContext(SERVICE, make_session_factory(engine), orm.platform, clock or Clock())
    context.extras["registration_lookup"] = lookup or OfflineRegistrationLookup()
    context.extras["policy"] = Policy(settings.portal_url, settings.digital_invoice_validity_days)
    return context


def build_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    lookup: RegistrationLookup | None = None,
) -> Flask:
    from services.entitlements.entrypoints.http import blueprints

    settings = settings or Settings.from_env()
    return create_app(settings.common, build_context(settings, clock, lookup), blueprints(), verifier=verifier)
