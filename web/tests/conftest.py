"""Fixtures of the web app's unit tests: the app in front of a fake gateway (web/tests/fake_gateway.py)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from cachelib import SimpleCache
from flask import Flask
from flask.testing import FlaskClient

from web.app import create_app
from web.gateway_client import GatewayClient
from web.tests.fake_gateway import PASSWORD, TENANT, FakeState, WsgiTransport, fake_gateway

GATEWAY = "http://gateway.test"


@pytest.fixture()
def state() -> FakeState:
    state = FakeState()
    state.users["admin@tenant.test"] = {"id": "u-1", "org_id": TENANT, "roles": ["tenant_admin"], "password": PASSWORD,
                                        "must_change": False}
    state.users["new@tenant.test"] = {"id": "u-2", "org_id": TENANT, "roles": ["tenant_admin"], "password": PASSWORD,
                                      "must_change": True}
    return state


@pytest.fixture()
def app(state: FakeState, tmp_path) -> Flask:
    http = requests.Session()
    http.mount(GATEWAY, WsgiTransport(fake_gateway(state)))
    app = create_app({"secret_key": "test-secret", "session_dir": str(tmp_path), "trusted_proxies": 1},
                     gateway=GatewayClient(GATEWAY, http=http), store=SimpleCache())
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client: FlaskClient, page: str, data: dict[str, str], action: str | None = None, **kwargs):
    """GET `page`, then POST `data` with the page's CSRF token to `action` (default: the page)."""
    html = client.get(page).get_data(as_text=True)
    return client.post(action or page.partition("?")[0], data={"csrf_token": csrf_of(html), **data}, **kwargs)


def sign_in(client: FlaskClient, username: str = "admin@tenant.test", password: str = PASSWORD):
    return post_form(client, "/portal/login", {"username": username, "password": password})
