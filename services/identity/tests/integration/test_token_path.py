"""The client-credentials grant on PostgreSQL: read in autocommit outside the request's transaction.

A rotated secret or a disabled client must be refused from the very next request, and a read
connection the database dropped must not turn into an error for the client.
"""
from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import update

from services.identity.adapters.orm import api_clients
from services.identity.tests.integration.test_races import pg  # noqa: F401 - the fixture
from services.identity.tests.unit.test_api_clients import allocated, allocation, handle


def _revealed_client(app: Any, context: Any, flows: Any) -> tuple[Any, dict[str, str], str, str]:
    client = app.test_client()
    tenant, boss = flows.activated_tenant()
    handle(context, allocated(tenant["id"], allocation("ent-pg")))
    client_id = client.get("/identity/v1/api-clients", headers=boss).json["items"][0]["client_id"]
    secret = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json["client_secret"]
    return client, boss, client_id, secret


def _grant(client: Any, client_id: str, secret: str) -> Any:
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post("/identity/v1/oauth/token", data=body)


def test_tokens_are_read_in_autocommit_and_a_rotation_takes_effect_at_once(pg):  # noqa: F811
    app, context, flows = pg
    assert context.extras["kit"].reads is not None  # the PostgreSQL path is the one under test
    client, boss, client_id, old = _revealed_client(app, context, flows)
    assert _grant(client, client_id, old).status_code == 200

    client.post(f"/identity/v1/api-clients/{client_id}/rotate-secret", headers=boss)
    new = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json["client_secret"]

    assert _grant(client, client_id, old).status_code == 401
    assert _grant(client, client_id, new).status_code == 200


def test_a_disabled_client_is_refused_from_the_next_request(pg):  # noqa: F811
    app, context, flows = pg
    client, _boss, client_id, secret = _revealed_client(app, context, flows)
    assert _grant(client, client_id, secret).status_code == 200

    with context.session_factory() as session:
        session.execute(update(api_clients).where(api_clients.c.client_id == client_id).values(status="disabled"))
        session.commit()

    refused = _grant(client, client_id, secret)
    assert refused.status_code == 401 and refused.json["code"] == "invalid_client"


def test_a_read_connection_dropped_by_the_database_is_replaced(pg, postgres_url):  # noqa: F811
    app, context, flows = pg
    client, _boss, client_id, secret = _revealed_client(app, context, flows)
    assert _grant(client, client_id, secret).status_code == 200  # a read connection is now pooled
    reads = context.extras["kit"].reads
    with reads.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    assert _grant(client, client_id, secret).status_code == 200
