"""Fixtures of the licensing service's tests: an app on a fresh migrated database, tokens signed by a test key."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.licensing.bootstrap import build_app
from services.licensing.config import SERVICE, Settings
from services.licensing.tests.driver import LicensingDriver, tax_id
from shared.clock import FrozenClock
from shared.settings import CommonSettings
from shared.testkit import TokenFactory


@pytest.fixture()
def database_url(service_database: Callable[[str], str]) -> str:
    """A fresh database at head (a copy of the session's migrated template, shared/pytest_plugin.py)."""
    return service_database(SERVICE)


@pytest.fixture()
def app(database_url: str, tokens: TokenFactory, clock: FrozenClock) -> Flask:
    common = CommonSettings(
        service=SERVICE, database_url=database_url, broker_url="memory://", identity_url="http://identity.invalid"
    )
    return build_app(Settings(common=common), verifier=tokens.verifier(), clock=clock)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


TENANT = "tenant-1"


@pytest.fixture()
def admin_headers(tokens: TokenFactory) -> dict[str, str]:
    return tokens.headers(sub="admin-1", org_id=TENANT, username="admin@tenant.test")


@pytest.fixture()
def lic(app: Flask, client: FlaskClient, admin_headers: dict[str, str]) -> LicensingDriver:
    return LicensingDriver(app, client, admin_headers, TENANT)


@pytest.fixture()
def ready(lic: LicensingDriver) -> LicensingDriver:
    """A formal non-IDC ERP instance with two seats per group and four imported enterprises."""
    assert lic.put_erp("formal", False).status_code == 200
    assert lic.import_(*(tax_id(n) for n in range(1, 5))).status_code == 200
    lic.seats_delivered("invoice_issuing", 2)
    lic.seats_delivered("invoice_receiving", 2)
    return lic
