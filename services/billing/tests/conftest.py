"""Fixtures of the billing service's tests: an app on a fresh migrated database, tokens signed by a
test key, companies fed through the read-model handler, and the sandbox provider calling back over
real HTTP to the app served on a local port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from services.billing.adapters.payment_providers import CALLBACK_PATH, SandboxProvider
from services.billing.bootstrap import build_app
from services.billing.config import SERVICE, Settings
from services.billing.entrypoints.worker import SandboxCallbacks
from services.billing.service_layer.companies import record_organisation
from shared.clock import FrozenClock
from shared.envelope import new_event
from shared.settings import CommonSettings
from shared.testkit import TokenFactory, free_port
from shared.uow import UnitOfWork
from shared.web import current_context

SANDBOX_SECRET = b"test-sandbox-secret"


@pytest.fixture()
def database_url(service_database: Callable[[str], str]) -> str:
    """A fresh database at head (a copy of the session's migrated template, shared/pytest_plugin.py)."""
    return service_database(SERVICE)


@pytest.fixture()
def app_port() -> int:
    return free_port()


@pytest.fixture()
def sandbox(app_port: int) -> SandboxProvider:
    return SandboxProvider(SANDBOX_SECRET, "http://gateway.test", f"http://127.0.0.1:{app_port}{CALLBACK_PATH}")


def make_app(database_url: str, tokens: TokenFactory, clock: FrozenClock, sandbox: SandboxProvider) -> Flask:
    common = CommonSettings(
        service=SERVICE,
        database_url=database_url,
        broker_url="memory://",
        identity_url="http://identity.invalid",
    )
    return build_app(Settings(common=common), verifier=tokens.verifier(), clock=clock, payment_provider=sandbox)


@pytest.fixture()
def app(database_url: str, tokens: TokenFactory, clock: FrozenClock, sandbox: SandboxProvider) -> Flask:
    return make_app(database_url, tokens, clock, sandbox)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def live_server(app: Flask, app_port: int) -> Iterator[str]:
    """The app on a real port, so the sandbox's callbacks arrive over HTTP as in production."""
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{app_port}"
    server.shutdown()
    thread.join(5)


def deliver_sandbox_callbacks(app: Flask) -> list[int | None]:
    """What the worker's sandbox_callbacks job does: send each due notice's signed callback; their statuses."""
    return SandboxCallbacks(app.extensions["suite_context"])(None)  # type: ignore[arg-type] # its own unit of work goes unused


def run_in_uow(app: Flask, work: Callable[[UnitOfWork], object]) -> object:
    """Run service-layer work in a committed unit of work, as the worker does."""
    with app.app_context():
        context = current_context()
        session = context.session_factory()
        try:
            result = work(UnitOfWork(context.service, session, context.tables, context.clock))
            session.commit()
            return result
        finally:
            session.close()


@pytest.fixture()
def add_company(app: Flask) -> Callable[..., str]:
    """Feed identity.organisation.created.v1 for a company through the consumer's handler."""

    def add(company_id: str, parent_id: str | None = None, name: str | None = None, kind: str = "company") -> str:
        event = new_event(
            "identity",
            "identity.organisation.created.v1",
            company_id,
            {"org_id": company_id, "kind": kind, "name": name or company_id, "parent_id": parent_id, "status": "active"},
        )
        run_in_uow(app, lambda uow: record_organisation(uow, event))
        return company_id

    return add


class Headers:
    """Authorization headers of the roles billing serves."""

    def __init__(self, tokens: TokenFactory) -> None:
        self.tokens = tokens

    def staff(self, role: str, sub: str | None = None) -> dict[str, str]:
        return self.tokens.headers(sub=sub or f"{role}-1", org_id="platform", org_kind="platform", roles=(role,))

    def customer(self, company_id: str, sub: str | None = None) -> dict[str, str]:
        return self.tokens.headers(sub=sub or f"customer-of-{company_id}", org_id=company_id, org_kind="company", roles=("customer",))


@pytest.fixture()
def headers(tokens: TokenFactory) -> Headers:
    return Headers(tokens)


class World:
    """A small billing world: company ACME with a subsidiary tree, another company, a catalog, devices.

    ACME ─┬─ ACME-SH ── ACME-SH-PD      OTHER (unrelated)
    Packages: RN-M (CNY 1,000 per month), RN-Y (CNY 12,000 per year), RN-USD (USD 500 per month),
    RN-ONCE (CNY 9,900 one-off), VA-SMS (value-added CNY 300).
    """

    def __init__(self, client: FlaskClient, headers: Headers, add_company: Callable[..., str]) -> None:
        self.client, self.headers = client, headers
        for company, parent in (("ACME", None), ("ACME-SH", "ACME"), ("ACME-SH-PD", "ACME-SH"), ("OTHER", None)):
            add_company(company, parent)
        support = headers.staff("support")
        for category in (
            {"code": "RENEW", "name": "续费套餐", "type": "renewal"},
            {"code": "RENEW-STD", "name": "标准", "type": "renewal", "parent_code": "RENEW"},
            {"code": "VAS", "name": "增值套餐", "type": "value_added"},
        ):
            self.ok(client.post("/billing/v1/package-categories", json=category, headers=support), 201)
        for code, price, currency, pricing, category in (
            ("RN-M", 1000, "CNY", "per_month", "RENEW"),
            ("RN-Y", 12000, "CNY", "per_year", "RENEW"),
            ("RN-USD", 500, "USD", "per_month", "RENEW"),
            ("RN-ONCE", 9900, "CNY", "one_off", "RENEW"),
            ("VA-SMS", 300, "CNY", "one_off", "VAS"),
        ):
            body = {"code": code, "name": code, "category_code": category, "price_minor": price, "currency": currency, "pricing": pricing}
            self.ok(client.post("/billing/v1/packages", json=body, headers=support), 201)

    def ok(self, response: object, status: int = 200) -> dict:
        assert response.status_code == status, response.get_data(as_text=True)  # type: ignore[attr-defined]
        return response.json  # type: ignore[attr-defined]

    def device(self, device_id: str, company_id: str, expires_on: str, package_code: str | None = "RN-M", type: str = "POS") -> dict:
        body = {"device_id": device_id, "company_id": company_id, "type": type, "expires_on": expires_on, "package_code": package_code}
        return self.ok(self.client.post("/billing/v1/devices", json=body, headers=self.headers.staff("support")), 201)

    def top_up_offline(self, company_id: str, amount_minor: int, currency: str = "CNY") -> dict:
        sales, finance = self.headers.staff("sales"), self.headers.staff("finance")
        body = {"company_id": company_id, "payer": "付款人", "currency": currency, "amount_minor": amount_minor, "reference": "BANK-1"}
        topup = self.ok(self.client.post("/billing/v1/offline-topups", json=body, headers=sales), 201)
        submitted = self.ok(self.client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=sales))
        review = {"decision": "approve", "version": submitted["version"]}
        return self.ok(self.client.post(f"/billing/v1/offline-topups/{topup['id']}/review", json=review, headers=finance))

    def renewal(self, company_id: str, items: list[tuple[str, int]], confirm: bool = True) -> dict:
        customer = self.headers.customer(company_id)
        body = {"items": [{"device_id": d, "months": m} for d, m in items]}
        order = self.ok(self.client.post("/billing/v1/renewal-orders", json=body, headers=customer), 201)
        if confirm:
            order = self.ok(self.client.post(f"/billing/v1/renewal-orders/{order['id']}/confirm", headers=customer))
        return order

    def balance(self, company_id: str) -> dict[str, int]:
        body = self.ok(self.client.get("/billing/v1/balance", headers=self.headers.customer(company_id)))
        return {line["currency"]: line["amount_minor"] for line in body["balances"]}


@pytest.fixture()
def world(client: FlaskClient, headers: Headers, add_company: Callable[..., str]) -> World:
    return World(client, headers, add_company)
