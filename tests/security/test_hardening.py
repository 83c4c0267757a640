"""What an outside attack found (issue 16), proven closed on the services' apps in-process.

- A marketplace payment callback signed with the secret that used to be the default in the code
  (`sandbox-provider-shared-secret`) is refused by an app configured from the environment alone: the
  secret is the installation's own, generated once under var/.
- CSV exports write text that a spreadsheet would run as a formula with a leading quote.
- Inviting an address registered in another organisation answers as any invitation does.

The races of the same issue (credit codes, cart checkouts, top-up edits against approvals, login
throttling) are listed in tests/reliability/test_races.py; the tokens in tests/security/test_auth.py;
the secrets of Compose and Kubernetes in tests/deploy.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.testkit import TokenFactory
from tests.security import apps
from tests.security.conftest import seed
from tests.security.fuzzing import COMPANY

OLD_PUBLISHED_SECRET = "sandbox-provider-shared-secret"


def test_a_callback_signed_with_the_old_published_secret_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     figures: Any, service_database: Any) -> None:
    from services.marketplace.adapters.sandbox_provider import SIGNATURE_HEADER, signature_headers
    from services.marketplace.bootstrap import build_app
    from services.marketplace.config import Settings

    database_url = service_database("marketplace")
    monkeypatch.setenv("SUITE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", database_url)
    monkeypatch.delenv("MARKETPLACE_PAYMENT_SECRET", raising=False)
    settings = Settings.from_env()
    client = build_app(settings, verifier=TokenFactory().verifier()).test_client()
    body = json.dumps({"payment_id": "p-1", "outcome": "success", "amount_minor": 1, "currency": "CNY"}).encode()
    url = "/marketplace/v1/payments/sandbox-callback"
    legacy = {SIGNATURE_HEADER: "sha256=" + hmac.new(OLD_PUBLISHED_SECRET.encode(), body, hashlib.sha256).hexdigest(),
              "Content-Type": "application/json"}
    answers = {
        "old scheme, published secret": client.post(url, data=body, headers=legacy).status_code,
        "new scheme, published secret": client.post(url, data=body, headers=signature_headers(
            body, OLD_PUBLISHED_SECRET, settings_now())).status_code,
        "installation's secret, 10 minutes old": client.post(url, data=body, headers=signature_headers(
            body, settings.payment_secret, settings_now(-600))).status_code,
    }
    own = client.post(url, data=body, headers=signature_headers(body, settings.payment_secret, settings_now()))
    figures("issue 16: marketplace payment callbacks", f"{answers}; the installation's own secret, fresh: {own.status_code}")
    assert set(answers.values()) == {401}
    assert own.status_code == 404  # verified, then the payment is not found
    assert settings.payment_secret != OLD_PUBLISHED_SECRET and len(settings.payment_secret) >= 32
    assert (tmp_path / "var" / "secrets" / "marketplace-payment").read_text() == settings.payment_secret


def settings_now(offset: float = 0.0) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(time.time() + offset, UTC)


def test_csv_exports_neutralise_formulas(tmp_path: Path, figures: Any) -> None:
    tokens = TokenFactory()
    app = apps.build("billing", tmp_path, tokens)
    seed("billing", app, tokens)
    client = app.test_client()
    support = tokens.headers(sub="support-1", org_id="platform", org_kind="platform", roles=("support",))
    payloads = ['=HYPERLINK("http://evil.example","open")', "+1+1", "-1+1", "@SUM(A1:A9)", "\t=1", "\r=1"]
    for index, payload in enumerate(payloads):
        device = {"device_id": f"F-{index}", "company_id": COMPANY, "type": payload, "expires_on": "2026-06-01", "package_code": None}
        assert client.post("/billing/v1/devices", json=device, headers=support).status_code == 201
    staff = tokens.headers(sub="finance-1", org_id="platform", org_kind="platform", roles=("platform_admin",))
    text = client.get(f"/billing/v1/devices/export?format=csv&company_id={COMPANY}", headers=staff).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))[1:]
    types = sorted(row[2] for row in rows)
    figures("issue 16: CSV export of formula-like text", f"{len(rows)} cells, each written as {types}")
    assert types == sorted("'" + payload for payload in payloads)


def test_invitations_do_not_tell_whether_an_address_is_registered_elsewhere(tmp_path: Path, figures: Any) -> None:
    from services.identity.tests.flows import Flows

    tokens = TokenFactory()
    app = apps.build("identity", tmp_path, tokens)
    context = app.extensions["suite_context"]

    def outbox(event_type: str) -> list[dict[str, Any]]:
        table = context.tables.outbox
        with context.session_factory() as session:
            rows = session.execute(select(table.c.payload).where(table.c.type == event_type).order_by(table.c.id)).all()
        return [json.loads(row.payload)["data"] for row in rows]

    flows = Flows(app.test_client(), outbox, context.clock)
    flows.activated_tenant(email="victim@elsewhere.test", name="受害公司")
    tenant, admin = flows.activated_tenant(email="prober@tenant.test", name="探测公司")
    fresh = flows.invite(admin, tenant["id"], "unknown@nowhere.test", ["tenant_admin"])
    taken = flows.invite(admin, tenant["id"], "victim@elsewhere.test", ["tenant_admin"])
    figures("issue 16: inviting a registered address", f"a new address {fresh.status_code}, one registered elsewhere {taken.status_code}")
    assert (fresh.status_code, taken.status_code) == (201, 201)
    assert set(fresh.json) == set(taken.json) and fresh.json["status"] == taken.json["status"] == "invited"
    assert outbox("identity.user.already_registered.v1")[-1]["recipient"]["email"] == "victim@elsewhere.test"
