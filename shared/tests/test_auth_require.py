"""`@require` and the three kinds of caller: users, enterprise API clients and platform services."""
from __future__ import annotations

import pytest
from flask import Flask

from shared import errors
from shared.auth import authenticate_request, current_principal, require
from shared.testkit import TokenFactory

SERVICE = {"sub": "service:notifier", "org_id": "platform-1", "org_kind": "platform", "roles": ("service",), "kind": "client"}
API_CLIENT = {"sub": "cli_1", "org_id": "tenant-1", "org_kind": "tenant", "roles": ("api_client",), "kind": "client",
              "tax_id": "91330100716105852F"}
TENANT_ADMIN = {"sub": "user-1", "org_id": "tenant-1", "org_kind": "tenant", "roles": ("tenant_admin",), "kind": "user"}


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def client(tokens: TokenFactory):
    app = Flask(__name__)
    app.extensions["suite_verifier"] = tokens.verifier()
    app.before_request(authenticate_request)
    errors.register(app)

    def who() -> dict[str, object]:
        principal = current_principal()
        return {"sub": principal.sub, "service": principal.is_service}

    routes = {
        "/admins": require("tenant_admin")(who),
        "/anyone": require()(who),
        "/clients": require("tenant_admin", "api_client", clients=True)(who),
        "/services": require("tenant_admin", "api_client", clients=True, services=True)(who),
        "/services-only": require("platform_admin", services=True)(who),
    }
    for path, view in routes.items():
        app.add_url_rule(path, path, view)
    return app.test_client()


@pytest.mark.parametrize("path", ["/admins", "/anyone", "/clients"])
def test_a_service_token_is_refused_where_the_view_does_not_opt_in(client, tokens, path):
    response = client.get(path, headers=tokens.headers(**SERVICE))
    assert response.status_code == 403
    assert response.get_json()["detail"] == "services cannot use this operation"


@pytest.mark.parametrize("path", ["/services", "/services-only"])
def test_a_service_token_passes_where_the_view_accepts_services(client, tokens, path):
    response = client.get(path, headers=tokens.headers(**SERVICE))
    assert response.status_code == 200
    assert response.get_json() == {"sub": "service:notifier", "service": True}


def test_the_service_role_alone_does_not_make_a_service():
    """A user who somehow holds role `service`, or a client outside the platform, is no service."""
    from shared.auth import Principal

    assert not Principal("u", "platform-1", "platform", frozenset({"service"}), kind="user").is_service
    assert not Principal("c", "tenant-1", "tenant", frozenset({"service"}), kind="client").is_service
    assert Principal("service:x", "platform-1", "platform", frozenset({"service"}), kind="client").is_service


def test_a_tenant_user_with_a_forged_service_role_stays_bound_by_the_role_list(client, tokens):
    forged = {**TENANT_ADMIN, "roles": ("service",)}
    assert client.get("/services-only", headers=tokens.headers(**forged)).status_code == 403


def test_api_clients_stay_blocked_where_they_are_today(client, tokens):
    assert client.get("/anyone", headers=tokens.headers(**API_CLIENT)).status_code == 403
    assert client.get("/clients", headers=tokens.headers(**API_CLIENT)).status_code == 200
    assert client.get("/services-only", headers=tokens.headers(**API_CLIENT)).status_code == 403


def test_users_are_unaffected_by_the_services_flag(client, tokens):
    assert client.get("/services", headers=tokens.headers(**TENANT_ADMIN)).status_code == 200
    assert client.get("/services-only", headers=tokens.headers(**TENANT_ADMIN)).status_code == 403
