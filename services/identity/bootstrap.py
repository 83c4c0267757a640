"""Composition root of the identity service: builds its context, API app and worker from settings.

identity verifies bearer tokens with its own keys, read from its database (not over HTTP from
itself). At start the app makes sure a signing key, the platform organisation and the first platform
admin exist, and brings the service accounts in step with `SUITE_SERVICE_CLIENTS`.
"""
from __future__ import annotations

from flask import Flask

from services.identity.adapters import orm, reads
from services.identity.adapters.crypto import Passwords, SecretBox, SecretDigest
from services.identity.config import SERVICE, Settings
from services.identity.service_layer import access, service_clients, setup
from services.identity.service_layer.keys import SigningKeyRing
from services.identity.service_layer.kit import IdentityKit
from services.identity.service_layer.sessions import account_disabled
from shared.auth import JwksCache, TokenVerifier, optional_principal
from shared.clock import Clock
from shared.db import make_engine, make_session_factory
from shared.web import ServiceContext, create_app, current_context


def build_context(settings: Settings, clock: Clock | None = None) -> ServiceContext:
    engine = make_engine(settings.common.database_url)
    session_factory = make_session_factory(engine)
    box = SecretBox(settings.key_encryption_key)
    kit = IdentityKit(
        settings=settings,
        keys=SigningKeyRing(session_factory, box, settings.access_token_seconds, settings.key_activation_seconds),
        box=box,
        digests=SecretDigest(settings.key_encryption_key),
        passwords=Passwords(),
        reads=reads.autocommit_engine(settings.common.database_url),
    )
    return ServiceContext(SERVICE, session_factory, orm.platform, clock or Clock(), extras={"kit": kit})


def own_verifier(context: ServiceContext, settings: Settings) -> TokenVerifier:
    kit: IdentityKit = context.extras["kit"]
    return TokenVerifier(
        JwksCache(kit.keys.jwks_in_own_session, min_refetch_interval=0.5),
        issuer=settings.common.jwt_issuer,
        audience=settings.common.jwt_audience,
    )


def build_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    context: ServiceContext | None = None,
) -> Flask:
    from services.identity.entrypoints.http import blueprints

    settings = settings or Settings.from_env()
    context = context or build_context(settings, clock)
    setup.prepare(context.session_factory, context.extras["kit"])
    service_clients.configure(context.session_factory, context.extras["kit"], settings.service_clients)
    app = create_app(settings.common, context, blueprints(), verifier=verifier or own_verifier(context, settings))
    app.before_request(_refuse_disabled_accounts)
    return app


def _refuse_disabled_accounts() -> None:
    """Runs after the token check: identity holds the accounts, so a user's access token stops working here at once when
    the user or its organisation is disabled or deleted (other services see it live out its 15 minutes). It reads in a
    session of its own, closed at once: holding the request's connection from here would leave a request that opens
    sessions of its own (the throttle's, a durable rejection's) waiting on a pool its racing twins have emptied."""
    principal = optional_principal()
    if principal is None or principal.kind != "user":
        return
    with current_context().session_factory() as session:
        active = access.account_is_active(session, principal.sub)
    if not active:
        raise account_disabled()
