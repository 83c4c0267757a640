"""The notifier drawing SMS traffic from the real entitlements app, with a real service token from the real
identity app, both served on local ports: one deduction per message however often it is tried."""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from services.entitlements.adapters.orm import order_lines, usage_ledger
from services.entitlements.bootstrap import build_app as build_entitlements
from services.entitlements.config import Settings as EntitlementsSettings
from services.entitlements.tests.portal import Portal
from services.identity.bootstrap import build_app as build_identity
from services.identity.config import Settings as IdentitySettings
from services.notifier.bootstrap import build_worker_parts
from services.notifier.config import TrafficSettings
from services.notifier.domain.traffic import DrawAnswer, DrawOutcome
from services.notifier.service_layer import delivery as delivery_module
from services.notifier.service_layer.delivery import Channels
from services.notifier.tests import samples
from services.notifier.tests.conftest import worker_settings
from services.notifier.tests.helpers import consume, stored_messages
from shared.auth import JwksCache, TokenVerifier, http_jwks
from shared.clock import FrozenClock
from shared.settings import CommonSettings
from shared.testkit import TokenFactory, free_port

SMS_CODE = "identity.sms_code.requested.v1"
TENANT = "tenant-1"
SECRET = "notifier-secret-0123456789"


class Served:
    """An app on a local port (werkzeug's threaded server) until the test ends."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def _common(service: str, database_url: str, identity_url: str = "http://identity.invalid") -> CommonSettings:
    return CommonSettings(service=service, database_url=database_url, broker_url="memory://", identity_url=identity_url)


@pytest.fixture()
def suite(service_database: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    """identity (with the notifier's service account) and entitlements (trusting identity's keys over HTTP,
    and a test key for setting up the tenant's pool)."""
    identity_db, entitlements_db = service_database("identity"), service_database("entitlements")
    identity = Served(build_identity(IdentitySettings(
        common=_common("identity", identity_db), key_encryption_key=b"k" * 32, key_activation_seconds=0,
        service_clients={"notifier": SECRET})))
    setup_tokens = TokenFactory()
    identity_keys = http_jwks(f"{identity.url}/identity/v1/.well-known/jwks.json")
    verifier = TokenVerifier(JwksCache(lambda: {"keys": identity_keys()["keys"] + setup_tokens.jwks()["keys"]}),
                             issuer="suite-identity", audience="suite")
    entitlements_app = build_entitlements(EntitlementsSettings(common=_common("entitlements", entitlements_db, identity.url),
                                                               portal_url="https://portal.test"),
                                          verifier=verifier, clock=FrozenClock())
    entitlements = Served(entitlements_app)
    yield {"identity": identity, "entitlements": entitlements,
           "portal": Portal(entitlements_app, entitlements_app.test_client(), setup_tokens)}
    entitlements.stop()
    identity.stop()


def sms_pool(portal: Portal, quantity: int) -> None:
    portal.tenant_known(TENANT)
    portal.product("SMS", kind="traffic", traffic_category="sms")
    portal.activated_order(TENANT, {"product_code": "SMS", "quantity": quantity, "valid_to": "2026-12-31"})


def remaining(portal: Portal) -> int:
    with portal.context.session_factory() as session:
        return sum(session.execute(select(order_lines.c.remaining)).scalars())


def ledger(portal: Portal) -> list[tuple[str | None, int, str]]:
    with portal.context.session_factory() as session:
        return [tuple(r) for r in session.execute(select(usage_ledger.c.tax_id, usage_ledger.c.units, usage_ledger.c.reference))]


class FlakySms:
    """Refuses the first `failures` SMS, then writes them down."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def send(self, phone: str, text: str, reference: str) -> None:
        from services.notifier.adapters.sms import SmsSendFailed

        if self.failures:
            self.failures -= 1
            raise SmsSendFailed("provider busy")
        self.sent.append(reference)


class LostAnswers:
    """Entitlements deducts, but the first `lost` answers never reach the notifier (a timeout after the fact)."""

    def __init__(self, inner: Any, lost: int) -> None:
        self.inner = inner
        self.lost = lost

    def draw_sms(self, tenant_id: str, message_id: str) -> DrawAnswer:
        answer = self.inner.draw_sms(tenant_id, message_id)
        if self.lost:
            self.lost -= 1
            return DrawAnswer(DrawOutcome.UNAVAILABLE, "traffic_unavailable")
        return answer


@pytest.fixture()
def notifier(suite, database_url, tmp_path, clock):
    from services.notifier.bootstrap import build_context

    settings = dataclasses.replace(worker_settings(database_url, None), traffic=TrafficSettings(
        client_id="notifier", client_secret=SECRET, identity_url=suite["identity"].url,
        entitlements_url=suite["entitlements"].url, product_code="SMS"))
    return build_worker_parts(settings, build_context(settings, clock), tmp_path / "var")


def test_each_sms_code_of_a_tenant_draws_one_sms_from_its_pool(suite, notifier):
    sms_pool(suite["portal"], quantity=5)
    consume(notifier, samples.event(SMS_CODE, tenant_id=TENANT))
    consume(notifier, samples.event(SMS_CODE, tenant_id=TENANT))
    messages = stored_messages(notifier)
    assert [(m.status, m.traffic) for m in messages] == [("sent", "billed")] * 2
    assert remaining(suite["portal"]) == 3
    assert sorted(ledger(suite["portal"])) == sorted((None, 1, m.id) for m in messages)


def test_failed_sends_and_lost_answers_still_draw_once_per_message(suite, notifier, clock, monkeypatch):
    sms_pool(suite["portal"], quantity=5)
    monkeypatch.setattr(delivery_module, "is_essential", lambda _event_type: False)
    sms = FlakySms(failures=2)
    notifier.delivery.channels = Channels(notifier.delivery.channels.mail, sms)
    notifier.delivery.traffic = LostAnswers(notifier.delivery.traffic, lost=2)
    consume(notifier, samples.event(SMS_CODE, tenant_id=TENANT))
    for pause in (5, 30, 120, 600):
        clock.advance(seconds=pause)
        notifier.delivery.deliver_due()
    [message] = stored_messages(notifier)
    assert (message.status, message.attempts, message.traffic) == ("sent", 5, "billed")
    assert sms.sent == [message.id]
    assert ledger(suite["portal"]) == [(None, 1, message.id)]
    assert remaining(suite["portal"]) == 4


def test_an_exhausted_pool_still_delivers_the_security_code_unbilled(suite, notifier, tmp_path):
    sms_pool(suite["portal"], quantity=1)
    consume(notifier, samples.event(SMS_CODE, tenant_id=TENANT))
    consume(notifier, samples.event(SMS_CODE, tenant_id=TENANT))
    first, second = stored_messages(notifier)
    assert {(first.traffic, first.traffic_note), (second.traffic, second.traffic_note)} == {
        ("billed", None), ("not_billed", "insufficient_quota")}
    assert (first.status, second.status) == ("sent", "sent")
    assert len(list((tmp_path / "var" / "sms").glob("*.txt"))) == 2
    assert remaining(suite["portal"]) == 0 and len(ledger(suite["portal"])) == 1


def test_entitlements_down_does_not_hold_back_a_security_code(suite, notifier):
    suite["entitlements"].stop()
    consume(notifier, samples.event(SMS_CODE, tenant_id=TENANT))
    [message] = stored_messages(notifier)
    assert (message.status, message.traffic, message.traffic_note) == ("sent", "not_billed", "traffic_unavailable")
