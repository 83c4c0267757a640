"""The portal's seed-001 and seed-000 pages on the dashboard bench's data set: p95 server time of each page.

    .venv/bin/python -m bench.portal_pages [--requests 50] [--ledger 1000000]

The tenant of `bench.tenant_dashboard` (10,000 enterprises, 15,000 seats, 1,000,000 ledger rows, 40
orders) seeded the same way; the web app renders each page in-process with its real API client, whose
HTTP goes to the entitlements app (and a stub of identity's API-client list) through a WSGI transport:
the figure is the web app's own work plus the entitlements queries behind the page, without the HTTP
hops (the gateway bench measures those). Goal (issue 17): p95 ≤ 150 ms per page.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import requests
from cachelib import SimpleCache
from flask import Flask, jsonify

from bench._harness import database, load, ratio
from bench.tenant_dashboard import ENTERPRISES, TENANT, seed, tax_id
from services.entitlements.bootstrap import build_app
from services.entitlements.config import SERVICE, Settings
from services.entitlements.service_layer import tenants
from shared.envelope import new_event
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork
from web.app import create_app
from web.auth import Tokens
from web.gateway_client import GatewayClient
from web.tests.fake_gateway import WsgiTransport

GOAL_P95_MS = 150.0
API = "http://gateway.bench"


def _identity_stub() -> Flask:
    stub = Flask("identity-stub")

    @stub.get("/identity/v1/api-clients")
    def api_clients() -> Any:
        return jsonify({"items": [], "total": 0, "page": 1, "page_size": 200})

    return stub


def _dispatch(entitlements: Flask, identity: Flask) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        target = identity if environ.get("PATH_INFO", "").startswith("/identity/") else entitlements
        return target(environ, start_response)

    return app


def _known_tenant(app: Flask) -> None:
    context = app.extensions["suite_context"]
    event = new_event("identity", "identity.tenant.created.v1", TENANT, {
        "tenant_id": TENANT, "name": "看板压测租户", "contact_email": "dash@example.test", "contact_phone": "13800000000",
        "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": "admin-dash", "username": "dash@example.test"},
    })
    with context.session_factory() as session:
        tenants.on_tenant_created(UnitOfWork(SERVICE, session, context.tables, context.clock), event)
        session.commit()


def _signed_in(web: Flask, tokens: TokenFactory) -> Any:
    """A test client of the web app with a signed-in tenant admin's session (tokens in the vault)."""
    client = web.test_client()
    access = tokens.token(sub="admin-dash", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",), ttl=7200)
    web.extensions["web_vault"].put("bench", Tokens(access, "refresh-unused", time.time() + 7200))
    with client.session_transaction() as session:
        session["auth"] = "bench"
        session["user"] = {"sub": "admin-dash", "org_id": TENANT, "org_kind": "tenant", "roles": ["tenant_admin"],
                           "username": "dash@example.test"}
    return client


def _time(client: Any, path: str, requests_count: int) -> list[float]:
    timings = []
    for index in range(requests_count + 3):
        began = time.perf_counter()
        response = client.get(path)
        if index >= 3:
            timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    return sorted(timings)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    args = parser.parse_args(argv or [])
    tokens = TokenFactory()
    figures: dict[str, float] = {}
    with database() as (url, engine_name):
        upgrade(SERVICE, url)
        entitlements = build_app(Settings(CommonSettings(SERVICE, url, "memory://", "http://identity.invalid")), verifier=tokens.verifier())
        _known_tenant(entitlements)
        started = time.perf_counter()
        seed(url, args.ledger)
        print(f"portal pages on {engine_name}: {ENTERPRISES:,} enterprises, {args.ledger:,} ledger rows "
              f"(seeded in {time.perf_counter() - started:.0f} s)", flush=True)
        http = requests.Session()
        http.mount(API, WsgiTransport(_dispatch(entitlements, _identity_stub())))
        web = create_app({"secret_key": "bench", "session_dir": "", "trusted_proxies": 0}, gateway=GatewayClient(API, http=http),
                         store=SimpleCache(threshold=1000))
        client = _signed_in(web, tokens)
        order = client.application.extensions["web_gateway"].json(
            "GET", "/entitlements/v1/orders", token=web.extensions["web_vault"].get("bench").access_token, params={"page_size": 1})
        order_id = order["items"][0]["id"]
        detail = web.extensions["web_gateway"].json("GET", f"/entitlements/v1/orders/{order_id}",
                                                   token=web.extensions["web_vault"].get("bench").access_token)
        seat_line = next(line["id"] for line in detail["lines"] if line["kind"] == "seat")
        pages = {
            "orders": "/portal/orders",
            "order": f"/portal/orders/{order_id}",
            "allocate": f"/portal/orders/{order_id}/lines/{seat_line}/allocate",
            "results": f"/portal/orders/{order_id}/results",
            "enterprises": "/portal/enterprises",
            "change requests": "/portal/change-requests",
            "dashboard": "/portal/",
            "unallocated": "/portal/orders/unallocated",
            "expiring": "/portal/expiring?window=90",
            "product": "/portal/products/FP-ISSUE",
            "usage": "/portal/usage",
            "usage filtered": f"/portal/usage?product_code=OCR&tax_id={tax_id(42)}",
        }
        for name, path in pages.items():
            timings = _time(client, path, args.requests)
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            figures[f"portal_{name.replace(' ', '_')}_p95_ms"] = p95
            print(f"{name:16} {path[:60]:60}  p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms  "
                  f"{ratio(p95, GOAL_P95_MS, at_most=True)} (p95 ≤ {GOAL_P95_MS:.0f} ms)  ({load()})", flush=True)
    return figures


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
