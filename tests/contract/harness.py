"""Each service as the contract tests run it: its real app and its worker's real handlers, on a scratch
PostgreSQL database: a copy of the service's template, migrated once per test process
(`testkit.shared_templates()`); the copies a test made are dropped after it (`release_databases`).

`Service.run(work)` runs service-layer work in a committed unit of work (as the worker's jobs do),
`Service.handle(envelope)` delivers an event the way the worker's consumer does (envelope validation,
inbox claim, the handler of the worker's handler map, commit, inside the producer's trace context),
and `Service.last_payload(type)` reads the envelope the service wrote to its outbox with the real
serialiser (what its relay publishes).
"""
from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from shared import inbox, tracing
from shared.auth import JwksCache, TokenVerifier
from shared.clock import FrozenClock
from shared.envelope import validate_event
from shared.settings import CommonSettings
from shared.testkit import TemporaryPostgres, TokenFactory, shared_templates
from shared.uow import UnitOfWork
from shared.web import ServiceContext
from shared.worker import EventHandler

PLATFORM_ADMIN = ("admin@suite.test", "Contract-Admin-2026!")
BILLING_SANDBOX_SECRET = b"contract-billing-sandbox-secret"
MARKETPLACE_PAYMENT_SECRET = "contract-marketplace-sandbox-secret"
NOTIFIER_SECRET_KEY = "contract-notifier-secret-key"

_made: list[TemporaryPostgres] = []
_made_lock = threading.Lock()


def migrated_database(service: str, folder: Path) -> str:
    """A fresh copy of the service's database at head (`folder` is the service's scratch folder, for files)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = shared_templates().clone(service)
    with _made_lock:
        _made.append(database)
    return database.url


def release_databases() -> None:
    """Drops the databases made so far (the contract tests' conftest does it after each test)."""
    with _made_lock:
        made, _made[:] = list(_made), []
    for database in made:
        shared_templates().release(database)


def common_settings(service: str, database_url: str) -> CommonSettings:
    return CommonSettings(service=service, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid")


@dataclasses.dataclass
class Service:
    """One service on its own scratch database, with a frozen clock and a test signing key."""

    name: str
    folder: Path
    clock: FrozenClock = dataclasses.field(default_factory=FrozenClock)
    tokens: TokenFactory = dataclasses.field(default_factory=TokenFactory)
    broker_url: str = "memory://"
    own_url: str = "http://127.0.0.1:9"
    sandbox_poster: Callable[[str, bytes, dict[str, str]], int] | None = None

    @cached_property
    def database_url(self) -> str:
        return migrated_database(self.name, self.folder)

    @cached_property
    def app(self) -> Flask:
        return _BUILDERS[self.name](self)

    @property
    def context(self) -> ServiceContext:
        return self.app.extensions["suite_context"]

    @cached_property
    def handlers(self) -> dict[str, EventHandler]:
        """The handler map the service's worker runs (its `entrypoints/worker.py`)."""
        return _HANDLERS[self.name](self)

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def deliver_sandbox_callbacks(self) -> list[int | None]:
        """What billing's or the marketplace's worker does after the sandbox page: send the signed callbacks."""
        from services.billing.entrypoints.worker import SandboxCallbacks as BillingCallbacks
        from services.marketplace.entrypoints.worker import SandboxCallbacks as MarketplaceCallbacks

        job = {"billing": BillingCallbacks, "marketplace": MarketplaceCallbacks}[self.name]
        return job(self.context)(None)  # type: ignore[arg-type] # the job's own unit of work goes unused

    def headers(self, **claims: Any) -> dict[str, str]:
        return self.tokens.headers(**claims)

    def run(self, work: Callable[[UnitOfWork], Any]) -> Any:
        with self.context.session_factory() as session:
            result = work(UnitOfWork(self.name, session, self.context.tables, self.context.clock))
            session.commit()
            return result

    def handle(self, body: dict[str, Any]) -> bool:
        """Consume one envelope as the worker does; False when the inbox had it already."""
        event = validate_event(body)
        handler = self.handlers[event.type]
        with tracing.event_context(event.id, event.type, event.traceparent, event.correlationid), \
                self.context.session_factory() as session:
            if not inbox.claim(session, self.context.tables.inbox, f"{self.name}.contract", event):
                return False
            handler(UnitOfWork(self.name, session, self.context.tables, self.context.clock), event)
            session.commit()
        return True

    def last_payload(self, event_type: str) -> str:
        """The serialised envelope of the latest event of this type, exactly as the relay publishes it."""
        table = self.context.tables.outbox
        with self.context.session_factory() as session:
            payload = session.execute(
                select(table.c.payload).where(table.c.type == event_type).order_by(table.c.id.desc()).limit(1)
            ).scalar()
        if payload is None:
            raise LookupError(f"{self.name} wrote no {event_type} event")
        return payload

    def last_event(self, event_type: str) -> dict[str, Any]:
        return json.loads(self.last_payload(event_type))

    def count(self, table: Any, *where: Any) -> int:
        with self.context.session_factory() as session:
            return session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _identity_app(service: Service) -> Flask:
    from services.identity.bootstrap import build_app, build_context
    from services.identity.config import Settings

    settings = Settings(
        common=common_settings("identity", service.database_url), key_encryption_key=b"contract-key-encryption-key-32b!",
        admin_username=PLATFORM_ADMIN[0], admin_password=PLATFORM_ADMIN[1], portal_url="https://portal.suite.test",
        key_activation_seconds=0,
    )
    context = build_context(settings, service.clock)
    ring = context.extras["kit"].keys

    def both_keys() -> dict[str, Any]:
        return {"keys": ring.jwks_in_own_session()["keys"] + service.tokens.jwks()["keys"]}

    verifier = TokenVerifier(JwksCache(both_keys, min_refetch_interval=0), issuer="suite-identity", audience="suite")
    return build_app(settings, verifier=verifier, context=context)


def _entitlements_app(service: Service) -> Flask:
    from services.entitlements.bootstrap import build_app
    from services.entitlements.config import Settings

    settings = Settings(common=common_settings("entitlements", service.database_url), portal_url="https://portal.suite.test")
    return build_app(settings, verifier=service.tokens.verifier(), clock=service.clock)


def _licensing_app(service: Service) -> Flask:
    from services.licensing.bootstrap import build_app
    from services.licensing.config import Settings

    return build_app(Settings(common=common_settings("licensing", service.database_url)), verifier=service.tokens.verifier(),
                     clock=service.clock)


def _billing_app(service: Service) -> Flask:
    from services.billing.adapters.payment_providers import CALLBACK_PATH, SandboxProvider
    from services.billing.bootstrap import build_app
    from services.billing.config import Settings

    sandbox = SandboxProvider(BILLING_SANDBOX_SECRET, service.own_url, service.own_url + CALLBACK_PATH, service.sandbox_poster)
    return build_app(Settings(common=common_settings("billing", service.database_url)), verifier=service.tokens.verifier(),
                     clock=service.clock, payment_provider=sandbox)


def _marketplace_app(service: Service) -> Flask:
    """The sandbox provider calls the app back through its test client unless `sandbox_poster` says otherwise."""
    from services.marketplace.bootstrap import build_app
    from services.marketplace.config import Settings

    def post_to_itself(url: str, body: bytes, headers: dict[str, str]) -> int:
        return service.client().post(url.removeprefix(service.own_url), data=body, headers=headers).status_code

    settings = Settings(common=common_settings("marketplace", service.database_url), uploads_dir=service.folder / "uploads",
                        payment_secret=MARKETPLACE_PAYMENT_SECRET, own_url=service.own_url)
    return build_app(settings, verifier=service.tokens.verifier(), clock=service.clock, poster=service.sandbox_poster or post_to_itself)


def _notifier_settings(service: Service) -> Any:
    from services.notifier.config import DeliverySettings, Settings

    return Settings(common=common_settings("notifier", service.database_url), delivery=DeliverySettings(secret_key=NOTIFIER_SECRET_KEY))


def _notifier_app(service: Service) -> Flask:
    from services.notifier.bootstrap import build_app

    return build_app(_notifier_settings(service), verifier=service.tokens.verifier(), clock=service.clock)


_BUILDERS: dict[str, Callable[[Service], Flask]] = {
    "identity": _identity_app,
    "entitlements": _entitlements_app,
    "licensing": _licensing_app,
    "billing": _billing_app,
    "marketplace": _marketplace_app,
    "notifier": _notifier_app,
}


def _identity_handlers(service: Service) -> dict[str, EventHandler]:
    from services.identity.entrypoints.worker import handlers

    return handlers(service.context.extras["kit"])


def _entitlements_handlers(service: Service) -> dict[str, EventHandler]:
    from services.entitlements.entrypoints.worker import event_handlers

    return event_handlers(service.context.extras["policy"])


def _licensing_handlers(service: Service) -> dict[str, EventHandler]:
    from services.licensing.service_layer.answers import HANDLERS

    return HANDLERS


def _billing_handlers(service: Service) -> dict[str, EventHandler]:
    from services.billing.entrypoints.worker import HANDLERS

    return HANDLERS


def _marketplace_handlers(service: Service) -> dict[str, EventHandler]:
    from services.marketplace.entrypoints.worker import HANDLERS

    return HANDLERS


def _notifier_handlers(service: Service) -> dict[str, EventHandler]:
    """The worker's handlers with strict templates: a field a template uses and the event lacks fails."""
    from services.notifier.adapters.templates import TemplateRenderer
    from services.notifier.bootstrap import build_worker_parts
    from services.notifier.entrypoints.worker import message_handlers

    parts = build_worker_parts(_notifier_settings(service), service.context, service.folder / "var")
    return message_handlers(dataclasses.replace(parts, renderer=TemplateRenderer(strict=True)))


_HANDLERS: dict[str, Callable[[Service], dict[str, EventHandler]]] = {
    "identity": _identity_handlers,
    "entitlements": _entitlements_handlers,
    "licensing": _licensing_handlers,
    "billing": _billing_handlers,
    "marketplace": _marketplace_handlers,
    "notifier": _notifier_handlers,
}


PACT_DIR = Path(__file__).resolve().parent / "pacts"
MESSAGES = "Asynchronous/Messages"
HTTP = "Synchronous/HTTP"


def pact_files(provider: str, interaction_type: str) -> list[Path]:
    """The pact files naming `provider` whose interactions are of that type (message or HTTP)."""
    found = []
    for path in sorted(PACT_DIR.glob("*.json")):
        pact = json.loads(path.read_text(encoding="utf-8"))
        if pact["provider"]["name"] == provider and any(i["type"] == interaction_type for i in pact["interactions"]):
            found.append(path)
    return found


def verify_pacts(verifier: Any, provider: str, interaction_type: str, failures: list[str]) -> None:
    """Replays every pact naming `provider` (of that interaction type) with `verifier`; fails the test with the
    verifier's output and the state handlers' `failures` when an interaction does not hold."""
    files = pact_files(provider, interaction_type)
    assert files, f"no {interaction_type} pact names {provider} as its provider"
    for path in files:
        verifier.add_source(path)
    try:
        verifier.verify()
    except RuntimeError:
        pytest.fail("\n".join([verifier.output(strip_ansi=True), *failures]))


def write_pact(pact: Any, consumer: str, provider: str) -> None:
    """Write the pact file; fail when it differs from the committed one (the catalogue and CI read those)."""
    path = PACT_DIR / f"{consumer}-{provider}.json"
    before = path.read_text(encoding="utf-8") if path.exists() else None
    pact.write_file(PACT_DIR, overwrite=True)
    if path.read_text(encoding="utf-8") != before:
        raise AssertionError(f"{path.name} changed: commit it and run `python -m shared.catalogue` (then this test passes)")
