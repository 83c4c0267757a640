"""Fixtures of the security proofs: every service's app in-process, trusting one test key.

`seeded_apps` is one app per service for the whole session, on PostgreSQL (TEST_POSTGRES_URL's server,
or the embedded one; its text, integer and length rules are strict, so bad input that slips past a
schema shows there as a 500). Their read models know the organisations the
`Callers` tokens name (tenant, company, reseller and its dealer). `served` runs them on loopback
ports behind an in-process gateway, for what must be proven through the gateway.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from shared import testkit
from shared.envelope import new_event
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork
from tests.security import apps
from tests.security.fuzzing import COMPANY, DEALER, RESELLER, TENANT


@pytest.fixture(scope="session")
def app_tokens() -> TokenFactory:
    return TokenFactory()


def in_uow(app: Flask, work: Callable[[UnitOfWork], Any]) -> Any:
    """Run service-layer work in a committed unit of work, as the worker does."""
    context = app.extensions["suite_context"]
    with context.session_factory() as session:
        result = work(UnitOfWork(context.service, session, context.tables, context.clock))
        session.commit()
    return result


def organisation_created(org_id: str, kind: str, parent_id: str | None = None) -> Any:
    return new_event("identity", "identity.organisation.created.v1", org_id, {
        "org_id": org_id, "kind": kind, "name": f"组织 {org_id}", "parent_id": parent_id, "status": "active",
        "contact_email": f"contact@{org_id}.test", "contact_phone": "13800000000", "external_ref": None})


def tenant_created(tenant_id: str) -> Any:
    email = f"admin@{tenant_id}.test"
    return new_event("identity", "identity.tenant.created.v1", tenant_id, {
        "tenant_id": tenant_id, "name": f"租户 {tenant_id} 有限公司", "contact_email": email, "contact_phone": "13800000000",
        "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": f"admin-{tenant_id}", "username": email},
        "recipient": {"email": email, "language": "zh-CN"}})


def seed(service: str, app: Flask, tokens: TokenFactory) -> None:
    """Tell the app's read models about the organisations the test tokens belong to; a product, an ERP instance."""
    client = app.test_client()
    if service == "entitlements":
        from services.entitlements.service_layer.tenants import on_tenant_created

        in_uow(app, lambda uow: on_tenant_created(uow, tenant_created(TENANT)))
        staff = tokens.headers(org_id="platform", org_kind="platform", roles=("platform_admin",))
        product = {"code": "P-SEAT", "name": "开票席位", "kind": "seat", "service_group": "invoice_issuing"}
        assert client.post("/entitlements/v1/products", json=product, headers=staff).status_code == 201
    elif service == "licensing":
        admin = tokens.headers(sub="tenant-admin", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",))
        assert client.put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False}, headers=admin).status_code == 200
    elif service == "billing":
        from services.billing.service_layer.companies import record_organisation

        in_uow(app, lambda uow: record_organisation(uow, organisation_created(COMPANY, "company")))
    elif service == "marketplace":
        from services.marketplace.service_layer.organisations import record_organisation

        in_uow(app, lambda uow: record_organisation(uow, organisation_created(RESELLER, "reseller")))
        in_uow(app, lambda uow: record_organisation(uow, organisation_created(DEALER, "dealer", RESELLER)))


@pytest.fixture(scope="session")
def database_kind() -> str:
    return "postgresql"


@pytest.fixture(scope="session")
def seeded_apps(tmp_path_factory: pytest.TempPathFactory, app_tokens: TokenFactory, database_kind: str) -> Iterator[dict[str, Flask]]:
    tmp = Path(tmp_path_factory.mktemp("security-apps"))
    databases: list[testkit.TemporaryPostgres] = []
    built: dict[str, Flask] = {}
    try:
        for service in apps.SERVICES:
            databases.append(testkit.shared_templates().clone(service))
            built[service] = apps.build(service, tmp / service, app_tokens, database_url=databases[-1].url)
            seed(service, built[service], app_tokens)
        yield built
    finally:
        for app in built.values():
            app.extensions["suite_context"].session_factory.kw["bind"].dispose()
        for database in databases:
            testkit.shared_templates().release(database)


@dataclass
class Served:
    gateway: Flask
    urls: dict[str, str]


@pytest.fixture(scope="session")
def served(seeded_apps: dict[str, Flask], app_tokens: TokenFactory) -> Iterator[Served]:
    """The seeded apps on loopback ports, and an in-process gateway in front of them."""
    from gateway.app import create_app
    from gateway.config import GatewayConfig

    servers = {service: make_server("127.0.0.1", 0, app, threaded=True) for service, app in seeded_apps.items()}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    urls = {service: f"http://127.0.0.1:{server.server_port}" for service, server in servers.items()}
    config = GatewayConfig(service_urls=urls, rate_per_second=1e6, burst=10**6, read_timeout=30.0)
    try:
        yield Served(create_app(config, verifier=app_tokens.verifier()), urls)
    finally:
        for server in servers.values():
            server.shutdown()
