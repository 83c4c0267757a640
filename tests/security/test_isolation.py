"""Tenant isolation matrix: every documented operation that takes an id, called by another
organisation's user with the victim's ids, answers 404 (or 403 for a role) and never the victim's data;
mass-assignment attempts are refused or ignored.

For each service, in-process on PostgreSQL with test-key tokens, two organisations of the same kind are
set up with one of each of their resources (the victim's and the attacker's own). Then every
operation of the service's OpenAPI with a `{…}` path parameter is called:
- by the attacker with the victim's ids: the answer must be 403 or 404, or a 4xx exactly equal in
  status to what the attacker gets for an id that does not exist (so it tells nothing: e.g. a body
  refused before the id is even looked up); never 2xx, 3xx or 5xx; and the body must not carry the
  victim's name or any victim id not already in the path;
- for a GET, by the victim itself: 2xx (the id is real, so the refusal above was about ownership).
An id the matrix has no victim value for is allowed only where the attacker's role is refused (403)
whatever the id; public catalog reads (published solutions, package catalog, the sandbox payment
pages whose ids are capabilities) are listed with their reason. Afterwards the victim's resources
read the same as before: the attacker changed nothing.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.clock import FrozenClock
from shared.testkit import TokenFactory
from tests.security import apps
from tests.security.conftest import in_uow, organisation_created

METHODS = ("get", "post", "put", "patch", "delete")
VICTIM = "受害方VICTIM"


@dataclass
class Party:
    headers: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    app: Flask
    attacker: Party
    victim: Party
    public: dict[tuple[str, str], str] = field(default_factory=dict)  # (METHOD, path) -> why anyone may call it
    bodies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    victim_cannot_read: set[str] = field(default_factory=set)  # GET paths the victim's own role may not read

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()


@dataclass
class Outcome:
    operations: int = 0
    foreign: dict[str, int] = field(default_factory=dict)
    public: list[str] = field(default_factory=list)
    role_refused_without_victim_id: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def operations(app: Flask) -> list[tuple[str, str]]:
    spec = app.test_client().get("/openapi.json").get_json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in METHODS and "{" in path]


def fill(path: str, ids: dict[str, str]) -> str | None:
    names = re.findall(r"{(\w+)}", path)
    if any(name not in ids for name in names):
        return None
    return re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def snapshot(client: FlaskClient, path: str | None, headers: dict[str, str]) -> Any:
    """A JSON resource as read; downloads (PDF, XLSX) carry their generation time, so only their status counts."""
    response = client.get(path, headers=headers)
    return response.get_json() if response.is_json else response.status_code


def run_matrix(world: World) -> Outcome:
    outcome = Outcome()
    client = world.client
    reads = [p for m, p in operations(world.app) if m == "GET" and fill(p, world.victim.ids) and p not in world.victim_cannot_read]
    before = {p: snapshot(client, fill(p, world.victim.ids), world.victim.headers) for p in reads}
    victim_values = {v for v in world.victim.ids.values() if len(v) >= 6}
    for method, path in operations(world.app):
        outcome.operations += 1
        if (method, path) in world.public:
            outcome.public.append(f"{method} {path}: {world.public[method, path]}")
            continue
        body = world.bodies.get((method, path), {})
        send = {"json": body} if method in ("POST", "PUT", "PATCH") else {}
        random_ids = {name: f"nope-{uuid.uuid4().hex[:12]}" for name in re.findall(r"{(\w+)}", path)}
        unknown = client.open(fill(path, random_ids), method=method, headers=world.attacker.headers, **send)
        target = fill(path, world.victim.ids)
        if target is None:
            if unknown.status_code != 403:
                outcome.violations.append(f"{method} {path}: no victim id to try and the attacker's role is not refused "
                                          f"({unknown.status_code})")
            else:
                outcome.role_refused_without_victim_id.append(f"{method} {path}")
            continue
        foreign = client.open(target, method=method, headers=world.attacker.headers, **send)
        outcome.foreign[str(foreign.status_code)] = outcome.foreign.get(str(foreign.status_code), 0) + 1
        text = foreign.get_data(as_text=True)
        leaked = [v for v in victim_values if v in text and v not in target] + ([VICTIM] if VICTIM in text else [])
        allowed = foreign.status_code in (403, 404) or (400 <= foreign.status_code < 500 and foreign.status_code == unknown.status_code)
        if not allowed or leaked:
            outcome.violations.append(f"{method} {path}: attacker got {foreign.status_code} (unknown id: {unknown.status_code}), "
                                      f"leaked {leaked}: {text[:200]}")
        if method == "GET" and path not in world.victim_cannot_read:
            own = client.get(target, headers=world.victim.headers)
            if not 200 <= own.status_code < 300:
                outcome.violations.append(f"GET {path}: the victim itself got {own.status_code}: {own.get_data(as_text=True)[:200]}")
    after = {p: snapshot(client, fill(p, world.victim.ids), world.victim.headers) for p in before}
    outcome.violations += [f"GET {p}: the victim's resource changed during the matrix" for p in before if before[p] != after[p]]
    return outcome


# ---- the worlds ----------------------------------------------------------------------------------------


def identity_world(tmp: Path, tokens: TokenFactory) -> World:
    from services.identity.service_layer.api_clients import issue_for_first_allocations
    from services.identity.tests.flows import Flows
    from shared.envelope import new_event

    app = apps.build("identity", tmp, tokens, FrozenClock())
    context = app.extensions["suite_context"]

    def outbox(event_type: str) -> list[dict[str, Any]]:
        import json

        from sqlalchemy import select

        table = context.tables.outbox
        with context.session_factory() as session:
            rows = session.execute(select(table.c.payload).where(table.c.type == event_type).order_by(table.c.id)).all()
        return [json.loads(row.payload)["data"] for row in rows]

    flows = Flows(app.test_client(), outbox, context.clock)
    parties = {}
    for who, name in (("attacker", "攻击方有限公司"), ("victim", f"{VICTIM}有限公司")):
        tenant, headers = flows.activated_tenant(email=f"{who}@tenant.test", name=name)
        user = flows.active_user(headers, tenant["id"], f"{who}-colleague@tenant.test", ["tenant_admin"])
        event = new_event("entitlements", "entitlements.seats.allocated.v1", tenant["id"], {
            "tenant_id": tenant["id"], "recipient": None, "allocations": [
                {"enterprise_id": f"ent-{who}", "tax_id": f"91330100{who[:6].upper():0<9}X", "enterprise_name": name,
                 "first_for_enterprise": True}]})
        in_uow(app, lambda uow, e=event: issue_for_first_allocations(uow, context.extras["kit"], e))
        [client] = app.test_client().get("/identity/v1/api-clients", headers=headers).get_json()["items"]
        parties[who] = Party(headers, {"tenant_id": tenant["id"], "org_id": tenant["id"], "user_id": user["id"],
                                       "client_id": client["client_id"]})
    return World(app, parties["attacker"], parties["victim"], bodies={
        ("PATCH", "/identity/v1/users/{user_id}"): {"name": "改名"},
        ("PATCH", "/identity/v1/tenants/{tenant_id}/admins/{user_id}"): {"phone": "13700000000"},
        ("PATCH", "/identity/v1/organisations/{org_id}"): {"name": "改名"},
        ("POST", "/identity/v1/organisations/{org_id}/admin-transfer"): {"user_id": "x"},
    })


def entitlements_world(tmp: Path, tokens: TokenFactory) -> World:
    from services.entitlements.tests.portal import USCC, Portal

    app = apps.build("entitlements", tmp, tokens, FrozenClock())
    portal = Portal(app, app.test_client(), tokens)
    portal.product("FP-ISSUE")
    parties = {}
    for who, tax_id in (("attacker", USCC[0]), ("victim", USCC[1])):
        tenant = f"tenant-{who}"
        portal.tenant_known(tenant, name=f"{VICTIM if who == 'victim' else '攻击方'}有限公司")
        order = portal.activated_order(tenant, {"product_code": "FP-ISSUE", "quantity": 2, "serial_number": f"SN-{who}"})
        firm = portal.enterprise(tenant, tax_id, name=f"{VICTIM if who == 'victim' else '攻击方'}企业")
        assert portal.allocate(tenant, order["lines"][0]["id"], [firm["id"]]).status_code == 201
        request = portal.client.post("/entitlements/v1/change-requests", headers=portal.admin(tenant), json={
            "kind": "tax_id_replacement", "enterprise_id": firm["id"], "new_tax_id": USCC[2] if who == "victim" else "330100716105852",
            "reason": "税号填写错误"})
        assert request.status_code == 201, request.get_json()
        parties[who] = Party(portal.admin(tenant), {"order_id": order["id"], "enterprise_id": firm["id"],
                                                     "request_id": request.get_json()["id"]})
    return World(app, parties["attacker"], parties["victim"], bodies={
        ("POST", "/entitlements/v1/change-requests/{request_id}/review"): {"decision": "approve"}}, public={
        ("GET", "/entitlements/v1/registrations/{tax_id}"): "the 新增企业 lookup: the business registry's public details of "
        "any tax ID, and whether another tenant holds it with that tenant's name masked (what adding it answers with 409 too)"})


def licensing_world(tmp: Path, tokens: TokenFactory) -> World:
    app = apps.build("licensing", tmp, tokens, FrozenClock())
    client = app.test_client()
    parties = {}
    for who, tax_id in (("attacker", "91330100716105852F"), ("victim", "9144030071526726XG")):
        headers = tokens.headers(sub=f"admin-{who}", org_id=f"tenant-{who}", org_kind="tenant", roles=("tenant_admin",))
        assert client.put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False}, headers=headers).status_code == 200
        imported = client.post("/licensing/v1/enterprises", json={"tax_id": tax_id, "name": f"{VICTIM}企业"}, headers=headers)
        assert imported.status_code in (200, 201), imported.get_json()
        parties[who] = Party(headers, {"tax_id": tax_id})
    return World(app, parties["attacker"], parties["victim"])


def billing_world(tmp: Path, tokens: TokenFactory) -> World:
    from services.billing.service_layer.companies import record_organisation
    from services.billing.tests.conftest import Headers
    from services.billing.tests.conftest import World as BillingWorld

    app = apps.build("billing", tmp, tokens, FrozenClock())
    headers = Headers(tokens)

    def add_company(company_id: str, parent_id: str | None = None, name: str | None = None, kind: str = "company") -> str:
        event = organisation_created(company_id, kind, parent_id)
        in_uow(app, lambda uow: record_organisation(uow, event))
        return company_id

    client = app.test_client()
    billing = BillingWorld(client, headers, add_company)
    parties = {}
    for who, company in (("attacker", "OTHER"), ("victim", "ACME")):
        device = billing.device(f"DEV-{who}", company, "2026-02-01")
        billing.top_up_offline(company, 100_000)
        topups = billing.ok(client.get("/billing/v1/offline-topups", headers=headers.staff("finance"),
                                       query_string={"company_id": company}))["items"]
        order = billing.renewal(company, [(device["device_id"], 1)])
        started = billing.ok(client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"},
                                         headers={**headers.customer(company), "Idempotency-Key": f"pay-{who}"}), 201)
        parties[who] = Party(headers.customer(company), {"device_id": device["device_id"], "order_id": order["id"],
                                                         "topup_id": topups[0]["id"], "payment_id": started["payment_id"]})
    catalog = "the package catalog is the same for every company"
    sandbox = "the sandbox provider's checkout page: its unguessable payment id is the capability, as at a real provider"
    return World(app, parties["attacker"], parties["victim"], public={
        ("GET", "/billing/v1/package-categories/{code}"): catalog,
        ("GET", "/billing/v1/packages/{code}"): catalog,
        ("GET", "/billing/v1/sandbox/pay/{payment_id}"): sandbox,
        ("POST", "/billing/v1/sandbox/pay/{payment_id}"): sandbox,
    }, bodies={("POST", "/billing/v1/orders/{order_id}/payments"): {"method": "balance"},
               ("PUT", "/billing/v1/devices/{device_id}/expiry"): {"expires_on": "2027-01-01"},
               # a PATCH naming no field is 422 before any role check (shared/request_guard.py): name one
               ("PATCH", "/billing/v1/package-categories/{code}"): {"name": "改名"},
               ("PATCH", "/billing/v1/packages/{code}"): {"name": "改名"}},
       victim_cannot_read={"/billing/v1/offline-topups/{topup_id}", "/billing/v1/devices/expiry-imports/{import_id}",
                           "/billing/v1/package-categories/{code}", "/billing/v1/packages/{code}", "/billing/v1/sandbox/pay/{payment_id}"})


def marketplace_world(tmp: Path, tokens: TokenFactory) -> World:
    from services.marketplace.service_layer import settlements
    from services.marketplace.tests.helpers import Marketplace

    clock = FrozenClock(datetime(2026, 1, 10, tzinfo=UTC))
    app = apps.build("marketplace", tmp, tokens, clock)
    market = Marketplace(app, app.test_client(), tokens)
    market.publish(code="SKU-A")
    parties = {}
    for who in ("attacker", "victim"):
        reseller = market.known_reseller(f"reseller-{who}")
        me = market.reseller(reseller, user=f"{who}-admin", email=f"{who}@reseller.test")
        customer = market.customer(me, name=f"{VICTIM if who == 'victim' else '攻击方'}客户")
        dealer = market.client.post("/marketplace/v1/dealers", headers=me, json={
            "name": f"{VICTIM}经销商", "contact_name": "张三", "contact_email": f"d@{who}.test", "contact_phone": "13800000000"})
        assert dealer.status_code == 201, dealer.get_json()
        item = market.client.post("/marketplace/v1/cart/items", headers=me, json={"sku_code": "SKU-A", "quantity": 1})
        assert item.status_code == 201, item.get_json()
        paid = market.checkout(me, customer["id"]).get_json()
        market.pay_online(me, paid["id"])
        order = market.checkout(me, customer["id"]).get_json()
        payment = market.client.post(f"/marketplace/v1/orders/{order['id']}/payments", headers=me, json={"method": "online"}).get_json()
        market.client.put(f"/marketplace/v1/resellers/{reseller}/credit-line", headers=market.staff("finance"),
                          json={"limit_minor": 5000, "term_days": 30})
        market.client.post(f"/marketplace/v1/resellers/{reseller}/credit/offline-uses", headers=market.staff("finance"),
                           json={"amount_minor": 1500, "reference": f"R-{who}"})
        parties[who] = Party(me, {"customer_id": customer["id"], "dealer_id": dealer.get_json()["id"],
                                  "item_id": item.get_json()["items"][0]["id"], "order_id": paid["id"],
                                  "payment_id": payment["payment_id"], "reseller_id": reseller})
    clock.set(datetime(2026, 2, 3, tzinfo=UTC))
    from services.marketplace.service_layer import credit

    in_uow(app, settlements.generate_last_month)
    in_uow(app, credit.issue_bills)
    for party in parties.values():
        [statement] = market.client.get("/marketplace/v1/settlements", headers=party.headers).get_json()["items"]
        [bill] = market.client.get("/marketplace/v1/credit/bills", headers=party.headers).get_json()["items"]
        party.ids.update(statement_id=statement["id"], bill_id=bill["id"])
    catalog = "published solutions and their reviews are the public catalog"
    sandbox = "the sandbox provider's checkout page: its unguessable payment id is the capability, as at a real provider"
    return World(app, parties["attacker"], parties["victim"], public={
        ("GET", "/marketplace/v1/solutions/{solution_id}"): catalog,
        ("GET", "/marketplace/v1/solutions/{solution_id}/reviews"): catalog,
        ("POST", "/marketplace/v1/solutions/{solution_id}/trials"): "anyone may ask for a trial of a published solution",
        ("POST", "/marketplace/v1/solutions/{solution_id}/reviews"): "a buyer of a completed order reviews a published solution",
        ("POST", "/marketplace/v1/sandbox/pay/{payment_id}"): sandbox,
    }, bodies={
        ("PATCH", "/marketplace/v1/customers/{customer_id}"): {"name": "改名"},
        ("PATCH", "/marketplace/v1/solutions/{solution_id}"): {"name": "改名"},  # a PATCH naming no field is 422 before any role check
        ("PATCH", "/marketplace/v1/dealers/{dealer_id}"): {"name": "改名"},
        ("PATCH", "/marketplace/v1/cart/items/{item_id}"): {"quantity": 2},
        ("POST", "/marketplace/v1/orders/{order_id}/payments"): {"method": "online"},
        ("POST", "/marketplace/v1/orders/{order_id}/invoice-request"): {"title": "发票抬头", "tax_id": "91330100716105852F"},
        ("POST", "/marketplace/v1/credit/bills/{bill_id}/repayments"): {"method": "online"},
    }, victim_cannot_read={"/marketplace/v1/resellers/{reseller_id}/rebate/entries"})  # finance's view of a reseller's ledger


def notifier_world(tmp: Path, tokens: TokenFactory) -> World:
    app = apps.build("notifier", tmp, tokens, FrozenClock())
    client = app.test_client()
    parties = {}
    for who in ("attacker", "victim"):
        headers = tokens.headers(sub=f"admin-{who}", org_id=f"tenant-{who}", org_kind="tenant", roles=("tenant_admin",))
        saved = client.put(f"/notifier/v1/preferences/tenant-{who}", headers=headers,
                           json={"language": "en", "emails": [f"{who}@victim.test"]})
        assert saved.status_code == 200, saved.get_json()
        parties[who] = Party(headers, {"org_id": f"tenant-{who}"})
    return World(app, parties["attacker"], parties["victim"], bodies={
        ("PUT", "/notifier/v1/preferences/{org_id}"): {"language": "zh-CN", "emails": ["attacker@evil.test"]}})


WORLDS: dict[str, Callable[[Path, TokenFactory], World]] = {
    "identity": identity_world, "entitlements": entitlements_world, "licensing": licensing_world,
    "billing": billing_world, "marketplace": marketplace_world, "notifier": notifier_world,
}


@pytest.mark.parametrize("service", WORLDS)
def test_another_organisations_ids_get_404_or_403_and_never_data(service: str, tmp_path: Path, figures: Any) -> None:
    tokens = TokenFactory()
    outcome = run_matrix(WORLDS[service](tmp_path, tokens))
    figures(f"isolation: {service}", "\n".join([
        f"{outcome.operations} operations with ids; attacker's answers with the victim's ids: {dict(sorted(outcome.foreign.items()))}",
        f"role-refused whatever the id: {len(outcome.role_refused_without_victim_id)}; public by design: {len(outcome.public)}",
        *[f"  public: {line}" for line in outcome.public],
        *[f"  VIOLATION {line}" for line in outcome.violations],
    ]))
    assert outcome.violations == []


# ---- mass assignment ------------------------------------------------------------------------------------


def answer(response: Any) -> str:
    return f"{response.status_code} {response.get_data(as_text=True)[:160]}"


def mass_assignment_cases(service: str, world: World, tokens: TokenFactory) -> list[tuple[str, bool, str]]:
    """(what was tried, whether it was refused or ignored, what came back)."""
    c, a, v = world.client, world.attacker, world.victim
    cases: list[tuple[str, bool, str]] = []

    def refused_or_ignored(what: str, response: Any, ignored: Callable[[], bool]) -> None:
        cases.append((what, 400 <= response.status_code < 500 or (response.status_code < 300 and ignored()), answer(response)))

    if service == "identity":
        me = c.get(f"/identity/v1/users/{a.ids['user_id']}", headers=a.headers).get_json()
        for field_name, value in (("roles", ["platform_admin"]), ("org_id", v.ids["org_id"]), ("status", "disabled")):
            r = c.patch(f"/identity/v1/users/{a.ids['user_id']}", headers=a.headers, json={field_name: value})
            refused_or_ignored(f"PATCH own user {{{field_name}}}", r,
                               lambda: c.get(f"/identity/v1/users/{a.ids['user_id']}", headers=a.headers).get_json() == me)
        r = c.post("/identity/v1/users", headers=a.headers, json={"org_id": v.ids["org_id"], "email": "mole@evil.test",
                                                                    "phone": "13700000009", "name": "内鬼", "roles": ["tenant_admin"]})
        refused_or_ignored("POST a user into the victim's organisation", r, lambda: False)
        r = c.post("/identity/v1/users", headers=a.headers, json={"org_id": a.ids["org_id"], "email": "boss@evil.test",
                                                                    "phone": "13700000008", "name": "老板", "roles": ["platform_admin"]})
        refused_or_ignored("POST a user with a platform role", r, lambda: False)
    elif service == "entitlements":
        r = c.post("/entitlements/v1/enterprises", headers=a.headers, json={"name": "寄生企业", "tax_id": "91110000802100433B",
                                                                              "tenant_id": "tenant-victim"})
        refused_or_ignored("POST an enterprise {tenant_id: victim}", r, lambda: True)
        r = c.post("/entitlements/v1/orders/activate", headers=a.headers, json={"operation_key": "x", "erp": "galaxy",
                                                                                 "deployment": "public_cloud", "status": "activated"})
        refused_or_ignored("POST activate {status}", r, lambda: False)
    elif service == "licensing":
        r = c.put("/licensing/v1/erp-instance", headers=a.headers,
                  json={"license_type": "formal", "idc": False, "tenant_id": "tenant-victim"})
        refused_or_ignored("PUT erp-instance {tenant_id: victim}", r, lambda: True)
    elif service == "billing":
        r = c.post("/billing/v1/topups", headers=a.headers, json={"amount_minor": 100, "currency": "CNY", "method": "wechat",
                                                                  "balance": 10**9, "status": "paid"})
        refused_or_ignored("POST a top-up {balance, status: paid}", r, lambda: False)
        sales = tokens.headers(sub="sales-1", org_id="platform", org_kind="platform", roles=("sales",))
        draft = c.post("/billing/v1/offline-topups", headers=sales, json={"company_id": "OTHER", "payer": "付款人", "currency": "CNY",
                                                                         "amount_minor": 5, "reference": "MA-1"}).get_json()
        r = c.patch(f"/billing/v1/offline-topups/{draft['id']}", headers=sales, json={"status": "approved"})
        refused_or_ignored("PATCH an offline top-up {status: approved}", r,
                           lambda: c.get(f"/billing/v1/offline-topups/{draft['id']}", headers=sales).get_json()["status"] == "draft")
        r = c.put("/billing/v1/account-config", headers=a.headers, json={
            "company_id": "ACME", "billing_cycle": "monthly", "auto_renew": True, "notify": True, "language": "en", "emails": []})
        refused_or_ignored("PUT account-config {company_id: victim}", r, lambda: False)
    elif service == "marketplace":
        r = c.post("/marketplace/v1/customers", headers=a.headers, json={"name": "寄生客户", "company": "甲", "email": "p@evil.test",
                                                                           "phone": "13900000001", "reseller_id": v.ids["reseller_id"]})
        refused_or_ignored("POST a customer {reseller_id: victim}", r, lambda: True)
        r = c.patch(f"/marketplace/v1/customers/{a.ids['customer_id']}", headers=a.headers, json={"reseller_id": v.ids["reseller_id"]})
        refused_or_ignored("PATCH own customer {reseller_id: victim}", r, lambda: False)
        r = c.post("/marketplace/v1/checkout", headers=a.headers, json={"items": [{"sku_code": "SKU-A", "quantity": 1}],
                                                                          "customer_id": a.ids["customer_id"], "payment_method": "online",
                                                                          "accept_contract": True, "total_minor": 1, "status": "paid"})
        refused_or_ignored("POST checkout {total_minor: 1, status: paid}", r, lambda: False)
    elif service == "notifier":
        r = c.put(f"/notifier/v1/preferences/{a.ids['org_id']}", headers=a.headers, json={"language": "en", "emails": ["a@b.test"],
                                                                                           "org_id": v.ids["org_id"]})
        refused_or_ignored("PUT own preferences {org_id: victim}", r,
                           lambda: c.get(f"/notifier/v1/preferences/{v.ids['org_id']}", headers=v.headers).get_json()["emails"]
                           == ["victim@victim.test"])
    return cases


@pytest.mark.parametrize("service", WORLDS)
def test_mass_assignment_of_owner_role_status_or_money_fields_is_refused_or_ignored(service: str, tmp_path: Path, figures: Any) -> None:
    tokens = TokenFactory()
    cases = mass_assignment_cases(service, WORLDS[service](tmp_path, tokens), tokens)
    figures(f"isolation: mass assignment, {service}", "\n".join(f"{'ok' if ok else 'ACCEPTED'}  {what}: {got}" for what, ok, got in cases))
    assert cases and all(ok for _, ok, _ in cases)
