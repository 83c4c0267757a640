"""Composition root of the billing service: builds its context, API app and worker from settings."""

from __future__ import annotations

from flask import Flask, Response

from services.billing.adapters import orm
from services.billing.adapters.payment_providers import PaymentProvider, default_sandbox
from services.billing.config import SERVICE, Settings
from services.billing.domain.errors import RuleViolation
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.db import make_engine, make_session_factory
from shared.errors import Problem, problem_response
from shared.web import ServiceContext, allow_larger_body, create_app

IMPORT_PATH = "/billing/v1/devices/expiry-imports"


def build_context(settings: Settings, clock: Clock | None = None, payment_provider: PaymentProvider | None = None) -> ServiceContext:
    engine = make_engine(settings.common.database_url)
    context = ServiceContext(SERVICE, make_session_factory(engine), orm.platform, clock or Clock())
    context.extras["payment_provider"] = payment_provider or default_sandbox()
    return context


def build_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    payment_provider: PaymentProvider | None = None,
) -> Flask:
    from services.billing.entrypoints.http import blueprints

    settings = settings or Settings.from_env()
    app = create_app(settings.common, build_context(settings, clock, payment_provider), blueprints(), verifier=verifier)
    app.register_error_handler(RuleViolation, _rule_violation)
    allow_larger_body(app, "POST", IMPORT_PATH, settings.import_body_bytes)  # every other request keeps the suite's limit
    return app


def _rule_violation(violation: RuleViolation) -> Response:
    return problem_response(Problem(violation.status, violation.code, violation.detail, **violation.extra))
