"""Every service's API app in-process, on a fresh migrated PostgreSQL database, trusting a test key.

`build(service, tmp, tokens)` builds the app the way the service's own tests do (identity also
trusts its own signing keys, so its logins work; billing and marketplace get their sandbox payment
providers), with a frozen clock. `SERVICES` lists what `build` knows.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from shared.clock import FrozenClock
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory, shared_templates

SERVICES = ("identity", "entitlements", "licensing", "billing", "marketplace", "notifier")


def common(service: str, database_url: str) -> CommonSettings:
    return CommonSettings(service=service, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid")


def build(
    service: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock | None = None, verifier: Any = None, database_url: str | None = None
) -> Flask:
    """The service's app on `database_url`, migrated (default: a fresh copy of the service's template database,
    `testkit.shared_templates()`, dropped when the test process ends); `verifier` replaces the test key's."""
    clock = clock or FrozenClock()
    tmp.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        database_url = shared_templates().clone(service).url
    else:
        upgrade(service, database_url)
    return BUILDERS[service](database_url, tmp, tokens, clock, verifier)


def _identity(database_url: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock, verifier: Any) -> Flask:
    from services.identity.bootstrap import build_app, build_context
    from services.identity.tests.conftest import make_settings, verifier_trusting

    settings = make_settings(database_url)
    context = build_context(settings, clock)
    return build_app(settings, verifier=verifier or verifier_trusting(context, tokens), context=context)


def _entitlements(database_url: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock, verifier: Any) -> Flask:
    from services.entitlements.bootstrap import build_app
    from services.entitlements.config import Settings

    settings = Settings(common=common("entitlements", database_url), portal_url="https://portal.test")
    return build_app(settings, verifier=verifier or tokens.verifier(), clock=clock)


def _licensing(database_url: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock, verifier: Any) -> Flask:
    from services.licensing.bootstrap import build_app
    from services.licensing.config import Settings

    return build_app(Settings(common=common("licensing", database_url)), verifier=verifier or tokens.verifier(), clock=clock)


def _billing(database_url: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock, verifier: Any) -> Flask:
    from services.billing.adapters.payment_providers import CALLBACK_PATH, SandboxProvider
    from services.billing.bootstrap import build_app
    from services.billing.config import Settings

    apps: list[Flask] = []

    def post_to_self(url: str, body: bytes, headers: dict[str, str]) -> int:
        with apps[0].test_client() as client:
            return client.post(url.removeprefix("http://billing.test"), data=body, headers=headers).status_code

    sandbox = SandboxProvider(b"test-sandbox-secret", "http://gateway.test", f"http://billing.test{CALLBACK_PATH}", post_to_self)
    app = build_app(Settings(common=common("billing", database_url)), verifier=verifier or tokens.verifier(), clock=clock,
                    payment_provider=sandbox)
    apps.append(app)
    return app


def _marketplace(database_url: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock, verifier: Any) -> Flask:
    from services.marketplace.bootstrap import build_app
    from services.marketplace.tests.conftest import make_settings

    apps: list[Flask] = []

    def post_to_self(url: str, body: bytes, headers: dict[str, str]) -> int:
        with apps[0].test_client() as client:
            return client.post(url.removeprefix("http://marketplace.test"), data=body, headers=headers).status_code

    app = build_app(make_settings(database_url, tmp / "uploads"), verifier=verifier or tokens.verifier(), clock=clock, poster=post_to_self)
    apps.append(app)
    return app


def _notifier(database_url: str, tmp: Path, tokens: TokenFactory, clock: FrozenClock, verifier: Any) -> Flask:
    from services.notifier.bootstrap import build_app
    from services.notifier.config import Settings

    return build_app(Settings(common=common("notifier", database_url)), verifier=verifier or tokens.verifier(), clock=clock)


BUILDERS = {
    "identity": _identity,
    "entitlements": _entitlements,
    "licensing": _licensing,
    "billing": _billing,
    "marketplace": _marketplace,
    "notifier": _notifier,
}
