"""The portal's seed-000 pages with the dashboard bench's data set: server time of each page, p95.

    .venv/bin/python -m bench.portal_pages [--requests 50] [--ledger 1000000]

Seeds the tenant of `bench.tenant_dashboard` (10,000 enterprises, 15,000 seats, 1,000,000 ledger rows),
then renders each page through the web app (routing, session, the API calls, Jinja, the SVG chart) with
entitlements' Flask app answering those calls in-process (`web.tests.fake_gateway.WsgiTransport` in
the gateway's place: no sockets, no gateway). The figure is the web app's server time including the
API's; the gateway adds its own (see `gateway_overhead`). Goal (issue 17): p95 ≤ 150 ms per page.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import requests
from cachelib import SimpleCache

from bench._harness import database, load, ratio
from bench.tenant_dashboard import TENANT, seed, tax_id
from services.entitlements.bootstrap import build_app
from services.entitlements.config import SERVICE, Settings
from services.entitlements.service_layer import tenants
from shared.envelope import new_event
from shared.migrations import upgrade
from shared.settings import CommonSettings
from shared.testkit import TokenFactory
from shared.uow import UnitOfWork

GOAL_P95_MS = 150.0
PAGES = (
    "/portal/",
    "/portal/orders/unallocated",
    "/portal/expiring?window=90",
    "/portal/products/FP-ISSUE",
    "/portal/usage",
    f"/portal/usage?product_code=OCR&tax_id={tax_id(42)}",
)


def _web_client(api_app: Any, access_token: str, tmp_dir: str) -> Any:
    """The web app signed in as the tenant admin, its gateway client answered by `api_app` in-process."""
    from web.app import create_app
    from web.auth import Tokens, TokenVault
    from web.gateway_client import GatewayClient
    from web.tests.fake_gateway import WsgiTransport

    http = requests.Session()
    http.mount("http://gateway.bench", WsgiTransport(api_app))
    store = SimpleCache(threshold=10_000)
    web = create_app({"secret_key": "bench-secret", "session_dir": tmp_dir, "trusted_proxies": 1},
                     gateway=GatewayClient("http://gateway.bench", http=http), store=store)
    TokenVault(store, 3600).put("bench", Tokens(access_token, "refresh-unused", time.time() + 3600))
    client = web.test_client()
    with client.session_transaction() as session:
        session["auth"] = "bench"
        session["user"] = {"sub": "admin-dash", "org_id": TENANT, "org_kind": "tenant", "roles": ["tenant_admin"],
                           "username": "dash@example.test"}
        session["must_change_password"] = False
    return client


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    args = parser.parse_args(argv or [])
    tokens = TokenFactory()
    results: dict[str, float] = {}
    with database() as (url, engine_name):
        upgrade(SERVICE, url)
        api_app = build_app(Settings(CommonSettings(SERVICE, url, "memory://", "http://identity.invalid")), verifier=tokens.verifier())
        context = api_app.extensions["suite_context"]
        event = new_event("identity", "identity.tenant.created.v1", TENANT, {
            "tenant_id": TENANT, "name": "看板压测租户", "contact_email": "dash@example.test", "contact_phone": "13800000000",
            "status": "active", "created_at": "2026-01-01T00:00:00Z", "admin": {"user_id": "admin-dash", "username": "dash@example.test"},
        })
        with context.session_factory() as session:
            tenants.on_tenant_created(UnitOfWork(SERVICE, session, context.tables, context.clock), event)
            session.commit()
        started = time.perf_counter()
        seed(url, args.ledger)
        print(f"portal pages on {engine_name}: {args.ledger:,} ledger rows (seeded in {time.perf_counter() - started:.0f} s)", flush=True)
        bearer = tokens.headers(sub="admin-dash", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",), ttl=3600)["Authorization"]
        import tempfile

        with tempfile.TemporaryDirectory() as tmp_dir:
            client = _web_client(api_app, bearer.removeprefix("Bearer "), tmp_dir)
            for path in PAGES:
                timings = []
                for index in range(args.requests + 3):
                    began = time.perf_counter()
                    response = client.get(path)
                    if index >= 3:
                        timings.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[-500:])
                timings.sort()
                p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
                results[path] = p95
                print(f"GET {path:<60} p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms  "
                      f"{ratio(p95, GOAL_P95_MS, at_most=True)} (p95 ≤ {GOAL_P95_MS:.0f} ms)  ({load()})", flush=True)
    return {f"portal{path}_p95_ms": value for path, value in results.items()}


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
