"""Faults: the suite on RabbitMQ + PostgreSQL keeps every event and applies every effect once while
its broker restarts, its workers are SIGKILLed, its APIs die mid-request and a flaky link sits
between a worker and the broker.

The harness, in one bounded run (< 3 minutes with the suite's start):
- setup: a tenant whose admin changed the initial password (SMS), an ERP instance with imported
  enterprises, an order of seats and a traffic pool; a billing company.
- load, two driver threads through the gateway for about 40 s: tenant creations (identity →
  notifier, entitlements, billing, marketplace), consultation tickets (marketplace → notifier),
  seat deliveries (entitlements → notifier, licensing), license authorizations (licensing →
  entitlements → licensing: the seat saga), offline top-ups created,
  submitted and approved (billing → notifier), and traffic usage with an Idempotency-Key. Every
  operation whose answer is lost (5xx, reset connection) is retried the way a client should: the same
  Idempotency-Key, or a retry whose refusal proves the first attempt committed.
- faults, while the load runs: the licensing worker talks to RabbitMQ through `FaultyProxy` (100 ms
  per chunk for a while, every connection reset, new connections refused for 3 s); each service's
  worker (outbox relay + consumers) is SIGKILLed and restarted; RabbitMQ itself stops and starts
  (`rabbitmqctl stop_app`/`start_app` on the suite's own RabbitMQ node, tests/suitekit.py); the entitlements and
  billing APIs are SIGKILLed (master and workers) in the middle of a burst of usage requests and
  top-up approvals, then started again.
- reconcile, from every database: 0 outbox rows unpublished, 0 events of a subscribed type missing
  from a consumer's inbox, 0 dead-lettered messages; and the ledgers: seats delivered = seats
  licensing counts, held grants = succeeded licenses = active allocations (no tax ID twice), usage
  ledger = acknowledged usage (once per key), balance = ledger = approved top-ups, no mail twice.
"""
from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
import requests

from shared.launcher import Suite
from shared.testkit import wait_until
from tests.e2e.steps import create_tenant, new_tax_id, operation_key_from_mail
from tests.reliability.netfaults import FaultyProxy
from tests.reliability.reconcile import EventFlow, event_flow, scalar
from tests.suitekit import Client, RunningSuite

pytestmark = pytest.mark.e2e

LOAD_SECONDS = 40
ISSUING = "invoice_issuing"
LOST_ANSWER = (500, 502, 503, 504)


@dataclass
class Tally:
    """What the drivers saw: operations acknowledged, answers lost and retried, surprises."""

    acknowledged: Counter = field(default_factory=Counter)
    lost_answers: Counter = field(default_factory=Counter)
    unacknowledged: Counter = field(default_factory=Counter)
    surprises: list[str] = field(default_factory=list)
    usage_units: dict[str, int] = field(default_factory=dict)
    approved_minor: dict[str, int] = field(default_factory=dict)
    tenants: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lost(self, operation: str) -> None:
        with self.lock:
            self.lost_answers[operation] += 1

    def ack(self, operation: str) -> None:
        with self.lock:
            self.acknowledged[operation] += 1

    def surprise(self, operation: str, response: requests.Response) -> None:
        with self.lock:
            self.surprises.append(f"{operation}: {response.status_code} {response.text[:300]}")


def attempt(call: Callable[[], requests.Response]) -> requests.Response | None:
    """One try; None when the answer was lost (connection reset or refused, timeout)."""
    try:
        return call()
    except requests.RequestException:
        return None


def answer_lost(response: requests.Response | None) -> bool:
    return response is None or response.status_code in LOST_ANSWER


@dataclass
class World:
    """What the setup made, and the operations of the load on it."""

    suite: RunningSuite
    platform: Client
    tenant_admin: Client
    tenant_id: str
    seat_code: str
    traffic_code: str
    usage_tax_id: str
    company_id: str
    tax_ids: list[str]
    tally: Tally = field(default_factory=Tally)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    deadline_seconds: float = 90.0

    def retrying(self, operation: str, call: Callable[[], requests.Response], done: Callable[[requests.Response], bool]) -> None:
        """Repeat `call` until `done` says its effect exists; answers lost on the way are counted."""
        deadline = time.monotonic() + self.deadline_seconds
        while time.monotonic() < deadline:
            response = attempt(call)
            if answer_lost(response) or (response.status_code == 409 and "in_progress" in response.text):
                self.tally.lost(operation)
                time.sleep(0.3)
                continue
            if done(response):
                self.tally.ack(operation)
                return
            self.tally.surprise(operation, response)
            return
        self.tally.unacknowledged[operation] += 1

    def create_tenant(self, index: int) -> None:
        body = {"name": f"故障租户{self.tag}{index}有限公司", "admin_email": f"ft-{self.tag}-{index}@tenant.test",
                "admin_phone": f"137{index:08d}"}
        response = attempt(lambda: self.platform.post("/identity/v1/tenants", json=body))
        if answer_lost(response):
            self.tally.lost("tenant created")
            self.tally.unacknowledged["tenant created"] += 1  # not retried: tenant creation has no idempotency key
        elif response.status_code == 201:
            self.tally.ack("tenant created")
            self.tally.tenants.append(response.json()["id"])
        else:
            self.tally.surprise("tenant created", response)

    def open_ticket(self, index: int) -> None:
        body = {"service_type": "咨询", "category": "发票云", "subject": f"故障工单 {self.tag}-{index}", "details": "请联系我",
                "name": "王五", "email": f"ticket-{self.tag}-{index}@buyer.test", "company": "买家有限公司"}
        response = attempt(lambda: self.platform.post("/marketplace/v1/tickets", json=body))
        if answer_lost(response):
            self.tally.lost("ticket opened")
            self.tally.unacknowledged["ticket opened"] += 1  # not retried: a ticket has no idempotency key
        elif response.status_code == 201:
            self.tally.ack("ticket opened")
        else:
            self.tally.surprise("ticket opened", response)

    def deliver_seat(self, index: int) -> None:
        today = date.today()
        line = {"product_code": self.seat_code, "quantity": 1, "serial_number": f"SN-FT-{self.tag}-{index}",
                "valid_from": (today - timedelta(days=1)).isoformat(), "valid_to": (today + timedelta(days=365)).isoformat()}
        self.retrying(
            "seat delivered",
            lambda: self.platform.post("/entitlements/v1/orders", json={"tenant_id": self.tenant_id, "lines": [line]}),
            # A retry refused for its serial number proves the lost attempt was delivered.
            lambda r: r.status_code == 201 or (r.status_code == 422 and "lines.0.serial_number" in r.json().get("errors", {})),
        )

    def authorize(self, tax_id: str) -> None:
        self.retrying(
            "license authorized",
            lambda: self.tenant_admin.post("/licensing/v1/authorizations", json={"service_group": ISSUING, "tax_ids": [tax_id]}),
            lambda r: r.status_code == 200 and r.json()["results"][0]["code"] in ("authorized", "already_authorized"),
        )

    def use_traffic(self, index: int, units: int = 3) -> None:
        key = f"use-{self.tag}-{index}"
        body = {"product_code": self.traffic_code, "tax_id": self.usage_tax_id, "units": units, "reference": key}

        def used(response: requests.Response) -> bool:
            if response.status_code != 201:
                return False
            with self.tally.lock:
                self.tally.usage_units[key] = units
            return True

        self.retrying(
            "traffic used",
            lambda: self.tenant_admin.post("/entitlements/v1/usage", json=body, headers={"Idempotency-Key": key}),
            used,
        )

    def filed_topup(self, index: int) -> str | None:
        """A submitted offline top-up (create and submit, retried without filing it twice)."""
        reference = f"FT-{self.tag}-{index}"
        body = {"company_id": self.company_id, "payer": "付款人", "currency": "CNY", "amount_minor": 100 + index, "reference": reference}
        created: dict[str, Any] = {}

        def create() -> requests.Response:
            found = self.platform.get("/billing/v1/offline-topups", params={"q": reference, "company_id": self.company_id})
            if found.status_code == 200 and found.json()["items"]:
                created.update(found.json()["items"][0])
                return found
            return self.platform.post("/billing/v1/offline-topups", json=body)

        def filed(response: requests.Response) -> bool:
            if response.status_code == 201:
                created.update(response.json())
            return bool(created)

        self.retrying("top-up filed", create, filed)
        if not created:
            return None
        topup_id = created["id"]
        self.retrying(
            "top-up submitted",
            lambda: self.platform.post(f"/billing/v1/offline-topups/{topup_id}/submit"),
            lambda r: r.status_code == 200 or self._status_of(topup_id) in ("submitted", "approved"),
        )
        return topup_id

    def approve(self, topup_id: str) -> None:
        def approved(response: requests.Response) -> bool:
            detail = response.json() if response.status_code == 200 else self._detail_of(topup_id)
            if detail.get("status") != "approved":
                return False
            with self.tally.lock:
                self.tally.approved_minor[topup_id] = detail["amount_minor"]
            return True

        self.retrying(
            "top-up approved",
            lambda: self.platform.post(f"/billing/v1/offline-topups/{topup_id}/review",
                                       json={"decision": "approve", "version": self._detail_of(topup_id).get("version", 1)}),
            approved,
        )

    def _status_of(self, topup_id: str) -> str | None:
        return self._detail_of(topup_id).get("status")

    def _detail_of(self, topup_id: str) -> dict[str, Any]:
        """The top-up as billing has it, read again while its answers are lost (an API restarting)."""
        deadline = time.monotonic() + self.deadline_seconds
        while time.monotonic() < deadline:
            response = attempt(lambda: self.platform.get(f"/billing/v1/offline-topups/{topup_id}"))
            if not answer_lost(response):
                return response.json()
            time.sleep(0.3)
        return {}


def set_up(suite: RunningSuite, admin_token: str) -> World:
    platform = suite.api(admin_token)
    today = date.today()
    tag = uuid.uuid4().hex[:6]
    seat_code, traffic_code = f"FT-SEAT-{tag}", f"FT-SMS-{tag}"
    for body in ({"code": seat_code, "name": "故障席位", "kind": "seat", "service_group": ISSUING},
                 {"code": traffic_code, "name": "故障短信", "kind": "traffic", "traffic_category": "sms"}):
        assert platform.post("/entitlements/v1/products", json=body).status_code == 201
    tenant = create_tenant(suite, admin_token, name=f"故障测试{tag}有限公司")
    admin = suite.api(tenant.access_token)
    window = {"valid_from": (today - timedelta(days=1)).isoformat(), "valid_to": (today + timedelta(days=365)).isoformat()}
    lines = [{"product_code": seat_code, "quantity": 5, "serial_number": f"SN-FT-{tag}-0", **window},
             {"product_code": traffic_code, "quantity": 1_000_000, **window}]
    order = wait_until(lambda: _delivered(platform, tenant.tenant_id, lines), 30, interval=0.5, what="the setup order")
    key = operation_key_from_mail(suite, tenant.email, order["order_no"])
    activated = admin.post("/entitlements/v1/orders/activate", json={"operation_key": key, "erp": "galaxy", "deployment": "public_cloud"})
    assert activated.status_code == 200, activated.text
    usage_tax_id = new_tax_id()
    assert admin.post("/entitlements/v1/enterprises", json={"name": "用量企业有限公司", "tax_id": usage_tax_id}).status_code == 201
    assert admin.put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False}).status_code == 200
    tax_ids = [new_tax_id() for _ in range(150)]
    imported = admin.post("/licensing/v1/enterprises/batch",
                          json={"enterprises": [{"tax_id": t, "name": f"故障企业{t[-6:]}有限公司"} for t in tax_ids]})
    assert imported.status_code == 200 and all(r["ok"] for r in imported.json()["results"]), imported.text
    company = platform.post("/identity/v1/organisations", json={"kind": "company", "name": f"故障公司{tag}", "parent_id": None})
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    wait_until(lambda: platform.get("/billing/v1/companies", params={"company_id": company_id}).status_code == 200, 30,
               interval=0.3, what="billing to learn the company")
    return World(suite, platform, admin, tenant.tenant_id, seat_code, traffic_code, usage_tax_id, company_id, tax_ids)


def _delivered(platform: Client, tenant_id: str, lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    response = platform.post("/entitlements/v1/orders", json={"tenant_id": tenant_id, "lines": lines})
    return response.json() if response.status_code == 201 else None


def saga_driver(world: World, stop: threading.Event) -> None:
    index = 0
    while not stop.is_set() and index < len(world.tax_ids):
        if index % 3 == 0:
            world.create_tenant(index)
        if index % 3 == 1:
            world.open_ticket(index)
        world.deliver_seat(index + 1)
        world.authorize(world.tax_ids[index])
        index += 1
        stop.wait(0.2)


def money_driver(world: World, stop: threading.Event) -> None:
    index = 0
    while not stop.is_set():
        topup = world.filed_topup(index)
        if topup:
            world.approve(topup)
        world.use_traffic(index)
        index += 1
        stop.wait(0.1)


# ---- faults -----------------------------------------------------------------------------------


def restart_with_env(suite: Suite, name: str, **overrides: str) -> None:
    """SIGKILL a process and start it again with some environment variables changed."""
    suite.kill(name)
    saved = suite.env
    suite.env = {**saved, **overrides}
    try:
        suite.start_process(name)
    finally:
        suite.env = saved


def kill_api_mid_burst(suite: Suite, name: str, burst: list[Callable[[], None]]) -> int:
    """Start `burst` (operations that retry until done), SIGKILL the API's master and workers while it
    runs, start it again; returns how many processes were killed."""
    with ThreadPoolExecutor(len(burst)) as pool:
        futures = [pool.submit(operation) for operation in burst]
        time.sleep(0.15)
        master = psutil.Process(suite.processes[name].pid)
        victims = [*master.children(recursive=True), master]
        for process in victims:
            process.send_signal(signal.SIGKILL)
        suite.processes[name].wait(15)
        suite.start_process(name)
        for future in futures:
            future.result()
    return len(victims)


def via_proxy(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# ---- reconciliation ---------------------------------------------------------------------------


def settled_flow(suite: RunningSuite, timeout: float) -> EventFlow:
    """The event flow once nothing is left to publish or handle (or the timeout's last look)."""
    deadline = time.monotonic() + timeout
    while True:
        flow = event_flow(suite.database_urls)
        if flow.lost == 0 or time.monotonic() > deadline:
            return flow
        time.sleep(1)


def pending_syncs(world: World) -> int | None:
    """License syncs licensing still waits an answer for (None while its API does not answer)."""
    response = attempt(lambda: world.tenant_admin.get("/licensing/v1/enterprises", params={"service_group": ISSUING, "page_size": 200}))
    return None if answer_lost(response) else sum(1 for item in response.json()["items"] if item["sync_pending"])


def settled_syncs(world: World, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        pending = pending_syncs(world)
        if pending == 0 or time.monotonic() > deadline:
            return pending
        time.sleep(0.5)


@dataclass
class Ledgers:
    seats_delivered: int
    seats_in_licensing: int
    grants_held: int
    licenses_synced: int
    allocations_active: int
    tax_ids_held_twice: int
    usage_rows: int
    usage_units: int
    traffic_remaining: int
    traffic_quantity: int
    balance: int
    ledger_sum: int
    ledger_rows: int
    approved_sum: int
    approved_count: int
    tenants_known_to_entitlements: int
    tickets: int
    mails: int
    mails_twice: int


def read_ledgers(world: World) -> Ledgers:
    urls, tenant, company = world.suite.database_urls, world.tenant_id, world.company_id
    ent, lic, bil = urls["entitlements"], urls["licensing"], urls["billing"]
    tenants = world.tally.tenants or ["-"]
    message_ids = [m["X-Suite-Message-Id"] for m in list(world.suite.smtp.messages)]
    return Ledgers(
        seats_delivered=scalar(ent, "SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE tenant_id = :t AND product_code = :p",
                               t=tenant, p=world.seat_code),
        seats_in_licensing=scalar(lic, "SELECT coalesce(sum(quantity), 0) FROM licensed_seats WHERE tenant_id = :t AND service_group = :g",
                                  t=tenant, g=ISSUING),
        grants_held=scalar(ent, "SELECT count(*) FROM license_grants WHERE tenant_id = :t AND status = 'held'", t=tenant),
        licenses_synced=scalar(lic, "SELECT count(*) FROM licenses WHERE tenant_id = :t AND authorization_status = 'authorized' "
                                    "AND sync_status = 'succeeded'", t=tenant),
        allocations_active=scalar(ent, "SELECT count(*) FROM allocations a JOIN order_lines l ON l.id = a.order_line_id "
                                       "WHERE a.tenant_id = :t AND l.product_code = :p AND a.status = 'active'",
                                  t=tenant, p=world.seat_code),
        tax_ids_held_twice=scalar(ent, "SELECT count(*) FROM (SELECT tax_id FROM license_grants WHERE tenant_id = :t "
                                       "AND status = 'held' GROUP BY tax_id HAVING count(*) > 1) twice", t=tenant),
        usage_rows=scalar(ent, "SELECT count(*) FROM usage_ledger WHERE tenant_id = :t AND product_code = :p",
                          t=tenant, p=world.traffic_code),
        usage_units=scalar(ent, "SELECT coalesce(sum(units), 0) FROM usage_ledger WHERE tenant_id = :t AND product_code = :p",
                           t=tenant, p=world.traffic_code),
        traffic_remaining=scalar(ent, "SELECT sum(remaining) FROM order_lines WHERE tenant_id = :t AND product_code = :p",
                                 t=tenant, p=world.traffic_code),
        traffic_quantity=scalar(ent, "SELECT sum(quantity) FROM order_lines WHERE tenant_id = :t AND product_code = :p",
                                t=tenant, p=world.traffic_code),
        balance=scalar(bil, "SELECT coalesce(sum(amount_minor), 0) FROM balances WHERE company_id = :c", c=company),
        ledger_sum=scalar(bil, "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries WHERE company_id = :c", c=company),
        ledger_rows=scalar(bil, "SELECT count(*) FROM ledger_entries WHERE company_id = :c", c=company),
        approved_sum=scalar(bil, "SELECT coalesce(sum(amount_minor), 0) FROM offline_topups WHERE company_id = :c AND status = 'approved'",
                            c=company),
        approved_count=scalar(bil, "SELECT count(*) FROM offline_topups WHERE company_id = :c AND status = 'approved'", c=company),
        tenants_known_to_entitlements=scalar(ent, "SELECT count(*) FROM tenants WHERE id = ANY(:ids)", ids=tenants),
        tickets=scalar(urls["marketplace"], "SELECT count(*) FROM tickets WHERE subject LIKE :s", s=f"故障工单 {world.tag}-%"),
        mails=len(message_ids),
        mails_twice=len(message_ids) - len(set(message_ids)),
    )


def test_no_event_is_lost_and_no_effect_is_applied_twice_under_faults(proof_suite, proof_admin_token, figures):
    if proof_suite.variant != "rabbitmq_postgres":
        pytest.skip("the fault harness needs RabbitMQ and PostgreSQL (set AMQP_URL and TEST_POSTGRES_URL)")
    started = time.monotonic()
    suite = proof_suite.suite
    world = set_up(proof_suite, proof_admin_token)
    proxy = FaultyProxy(urlsplit(suite.env["AMQP_URL"]).port or 5672).start()
    restart_with_env(suite, "licensing-worker", AMQP_URL=via_proxy(suite.env["AMQP_URL"], proxy.port))
    faults: list[str] = []
    stop = threading.Event()
    drivers = [threading.Thread(target=saga_driver, args=(world, stop)), threading.Thread(target=money_driver, args=(world, stop))]
    for driver in drivers:
        driver.start()
    load_started = time.monotonic()
    try:
        time.sleep(2)
        proxy.delay(0.1)
        faults.append("licensing worker ↔ RabbitMQ: 100 ms per chunk")
        for service in suite.services:
            time.sleep(1.5)
            if service == "licensing":
                restart_with_env(suite, "licensing-worker", AMQP_URL=via_proxy(suite.env["AMQP_URL"], proxy.port))
            else:
                suite.restart(f"{service}-worker")
            faults.append(f"SIGKILL {service}-worker, restarted")
            if service == "entitlements":
                faults.append(f"licensing worker ↔ RabbitMQ: {proxy.reset_all()} connections reset")
            if service == "billing":
                proxy.refuse(3)
                faults.append("licensing worker ↔ RabbitMQ: new connections refused for 3 s")
        proxy.delay(0)
        time.sleep(2)
        try:
            proof_suite.stop_broker()
            faults.append("RabbitMQ stop_app")
            time.sleep(3)
        finally:
            proof_suite.start_broker()
            faults.append("RabbitMQ start_app")
        time.sleep(4)
        burst = [lambda i=i: world.use_traffic(10_000 + i) for i in range(8)]
        faults.append(f"SIGKILL entitlements-api mid-burst of 8 usage requests ({kill_api_mid_burst(suite, 'entitlements-api', burst)} "
                      "processes), restarted")
        suite.wait_ready()
        topups = [t for t in (world.filed_topup(10_000 + i) for i in range(6)) if t]
        burst = [lambda t=t: world.approve(t) for t in topups]
        faults.append(f"SIGKILL billing-api mid-burst of {len(burst)} top-up approvals ({kill_api_mid_burst(suite, 'billing-api', burst)} "
                      "processes), restarted")
        suite.wait_ready()
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - load_started)))
    finally:
        stop.set()
        for driver in drivers:
            driver.join(120)
    load_seconds = time.monotonic() - load_started

    flow = settled_flow(proof_suite, timeout=60)
    pending = settled_syncs(world, timeout=60)
    flow = settled_flow(proof_suite, timeout=30)
    ledgers = read_ledgers(world)
    dead = proof_suite.dead_letters()
    died = dead_threads(proof_suite)
    proxy.close()

    tally = world.tally
    figures(
        "faults: RabbitMQ + PostgreSQL under load",
        "\n".join([
            f"load {load_seconds:.0f} s; whole run {time.monotonic() - started:.0f} s",
            "faults injected: " + "; ".join(faults),
            f"proxy: {proxy.counts.connections} connections, {proxy.counts.resets} sockets reset, {proxy.counts.refused} refused, "
            f"{proxy.counts.delayed_chunks} chunks delayed",
            "operations acknowledged: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.acknowledged.items())),
            "answers lost and retried: " + (", ".join(f"{k} {v}" for k, v in sorted(tally.lost_answers.items())) or "none"),
            "never acknowledged: " + (", ".join(f"{k} {v}" for k, v in sorted(tally.unacknowledged.items())) or "none"),
            f"events: {sum(flow.produced.values())} produced, {flow.lost} lost, {dead} dead-lettered; license syncs pending {pending}",
            flow.summary(),
            f"seats: delivered {ledgers.seats_delivered}, counted by licensing {ledgers.seats_in_licensing}; grants held "
            f"{ledgers.grants_held}, licenses synced {ledgers.licenses_synced}, active allocations {ledgers.allocations_active}, "
            f"tax IDs held twice {ledgers.tax_ids_held_twice}",
            f"usage: {len(tally.usage_units)} keys acknowledged ({sum(tally.usage_units.values())} units), "
            f"ledger {ledgers.usage_rows} rows ({ledgers.usage_units} units), "
            f"pool {ledgers.traffic_remaining}/{ledgers.traffic_quantity} left",
            f"top-ups: {len(tally.approved_minor)} acknowledged ({sum(tally.approved_minor.values())}), approved {ledgers.approved_count} "
            f"({ledgers.approved_sum}), ledger {ledgers.ledger_rows} rows ({ledgers.ledger_sum}), balance {ledgers.balance}",
            f"tenants: {len(tally.tenants)} acknowledged, {ledgers.tenants_known_to_entitlements} in entitlements' read model",
            f"tickets: {tally.acknowledged['ticket opened']} acknowledged, {ledgers.tickets} stored",
            f"mails: {ledgers.mails} sent, {ledgers.mails_twice} twice",
            "effects applied twice: " + str(_twice(tally, ledgers)),
            f"worker threads that died: {died or 'none'}",
            *(worker_log_tails(proof_suite) if pending or flow.lost or dead or died else []),
        ]),
    )
    assert tally.surprises == [], tally.surprises
    assert died == {}, f"a worker thread died and its process ran on without it: {died} (SECURITY.md, open)"
    assert flow.lost == 0, {"unpublished": dict(flow.unpublished), "missing": {q: ids[:5] for q, ids in flow.missing.items()}}
    assert dead == 0
    assert pending == 0
    assert _twice(tally, ledgers) == 0
    assert ledgers.seats_delivered == ledgers.seats_in_licensing == 5 + tally.acknowledged["seat delivered"]
    assert ledgers.grants_held == ledgers.licenses_synced == ledgers.allocations_active <= ledgers.seats_delivered
    assert ledgers.tax_ids_held_twice == 0
    assert (ledgers.usage_rows, ledgers.usage_units) == (len(tally.usage_units), sum(tally.usage_units.values()))
    assert ledgers.traffic_remaining == ledgers.traffic_quantity - ledgers.usage_units
    assert ledgers.balance == ledgers.ledger_sum == ledgers.approved_sum == sum(tally.approved_minor.values())
    assert ledgers.ledger_rows == ledgers.approved_count == len(tally.approved_minor)
    assert ledgers.tenants_known_to_entitlements == len(tally.tenants)
    tickets_acknowledged = tally.acknowledged["ticket opened"]
    assert tickets_acknowledged <= ledgers.tickets <= tickets_acknowledged + tally.lost_answers["ticket opened"]
    assert ledgers.mails_twice == 0
    assert time.monotonic() - started < 180


def dead_threads(suite: RunningSuite) -> dict[str, int]:
    """Worker threads (relay, consumer, jobs) that ended with an exception, per process log."""
    counts = {path.name: path.read_text(errors="replace").count("Exception in thread")
              for path in (suite.var_dir / "logs").glob("*-worker.log")}
    return {name: count for name, count in counts.items() if count}


def worker_log_tails(suite: RunningSuite, lines: int = 8) -> list[str]:
    """What the workers last warned about, to tell why something was not settled."""
    tails = []
    for path in sorted((suite.var_dir / "logs").glob("*-worker.log")):
        warnings = [line[:300] for line in path.read_text(errors="replace").splitlines() if '"level": "warning"' in line
                    or '"level": "error"' in line]
        tails += [f"{path.name}: {line}" for line in warnings[-lines:]]
    return tails


def _twice(tally: Tally, ledgers: Ledgers) -> int:
    """Effects found more often than acknowledged: usage, credits, seat grants and mails."""
    return (
        max(0, ledgers.usage_rows - len(tally.usage_units))
        + max(0, ledgers.ledger_rows - len(tally.approved_minor))
        + ledgers.tax_ids_held_twice
        + max(0, ledgers.seats_in_licensing - ledgers.seats_delivered)
        + ledgers.mails_twice
    )
