"""Seeds 000 and 001 end to end through the gateway, on embedded defaults and on RabbitMQ + PostgreSQL.

The story of issue 3: platform staff deliver an order → the tenant contact gets the activation mail
with the operation key → the tenant admin activates (a reused key is 422) → adds enterprises (a bad
check character is 422) → allocates (over-allocation is 409) → identity issues the first API client
and the enterprise consumes traffic for its own tax ID only → another tenant adding the same tax ID
gets the masked 409 → the dashboard shows the expiring line's serial number and nothing of the other
tenant → usage replays by Idempotency-Key, a reused key with another body is 422, two tax IDs share
one pool, racing deductions never exceed the pool.
"""
from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from shared.settings import GATEWAY_PORT
from shared.tax_ids import organisation_code_check_character, uscc_check_character
from shared.testkit import body_text, wait_until
from tests.e2e.steps import OPERATION_KEY_RE, activate_order, create_tenant, deliver_order, invite_and_log_in, operation_key_from_mail

pytestmark = pytest.mark.e2e


def new_tax_id() -> str:
    organisation = "MA" + "".join(random.choices("0123456789", k=6))
    first_17 = f"91320500{organisation}{organisation_code_check_character(organisation)}"
    return first_17 + uscc_check_character(first_17)


def create_product(platform: Any, kind: str, **extra: Any) -> str:
    code = f"{kind.upper()}-{uuid.uuid4().hex[:8]}"
    created = platform.post("/entitlements/v1/products", json={"code": code, "name": f"{kind} {code}", "kind": kind, **extra})
    assert created.status_code == 201, created.text
    return code


def days_from_today(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_order_to_use_through_the_gateway(suite, admin_token):
    platform = suite.api(admin_token)
    seat = create_product(platform, "seat", service_group="invoice_issuing")
    sms = create_product(platform, "traffic", traffic_category="sms")
    tenant = create_tenant(suite, admin_token, name=f"苏州{uuid.uuid4().hex[:4]}示例科技有限公司")
    serial = f"SN-E2E-{uuid.uuid4().hex[:8].upper()}"
    order = deliver_order(platform, tenant.tenant_id, [
        {"product_code": seat, "quantity": 2, "valid_from": days_from_today(-10), "valid_to": days_from_today(20),
         "serial_number": serial},
        {"product_code": sms, "quantity": 100, "valid_from": days_from_today(-10), "valid_to": days_from_today(300)},
    ])
    admin = suite.api(tenant.access_token)

    # Activation: the key from the mail works once.
    key = operation_key_from_mail(suite, tenant.email, order["order_no"])
    activation = {"operation_key": key, "erp": "galaxy", "deployment": "public_cloud"}
    activated = admin.post("/entitlements/v1/orders/activate", json=activation)
    assert activated.status_code == 200 and activated.json()["status"] == "activated"
    activated = activated.json()
    reused = admin.post("/entitlements/v1/orders/activate", json=activation)
    assert reused.status_code == 422 and reused.json()["code"] == "operation_key_used"

    # Enterprises: a bad check character is a field error; good ones are added.
    good = new_tax_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    refused = admin.post("/entitlements/v1/enterprises", json={"name": "坏税号有限公司", "tax_id": bad})
    assert refused.status_code == 422 and "tax_id" in refused.json()["errors"]
    tax_ids = [good, new_tax_id(), new_tax_id()]
    firms = []
    for tax_id in tax_ids:
        added = admin.post("/entitlements/v1/enterprises", json={"name": f"企业{tax_id[-4:]}有限公司", "tax_id": tax_id})
        assert added.status_code == 201, added.text
        firms.append(added.json())

    # Allocation: two seats, a third is refused without effect.
    seat_line = next(line for line in activated["lines"] if line["product_code"] == seat)
    allocated = admin.post("/entitlements/v1/allocations", json={"order_line_id": seat_line["id"],
                                                                  "enterprise_ids": [firms[0]["id"], firms[1]["id"]]})
    assert allocated.status_code == 201, allocated.text
    over = admin.post("/entitlements/v1/allocations", json={"order_line_id": seat_line["id"], "enterprise_ids": [firms[2]["id"]]})
    assert over.status_code == 409 and over.json()["code"] == "quantity_exceeded"
    results = admin.get(f"/entitlements/v1/allocations?order_line_id={seat_line['id']}").json()
    assert {item["tax_id"] for item in results["items"]} == set(tax_ids[:2])

    # Another tenant cannot take an enterprise of this one; it sees the masked name and none of its data.
    other = create_tenant(suite, admin_token, name="上海另一家示例有限公司")
    stranger = suite.api(other.access_token)
    taken = stranger.post("/entitlements/v1/enterprises", json={"name": "抢注有限公司", "tax_id": good})
    assert taken.status_code == 409 and taken.json()["code"] == "enterprise_bound_to_other_tenant"
    assert taken.json()["tenant_name"] == "苏州XXXX有限公司"
    assert stranger.get(f"/entitlements/v1/orders/{order['id']}").status_code == 404
    assert stranger.get(f"/entitlements/v1/enterprises/{firms[0]['id']}").status_code == 404

    # Dashboard: the expiring line with its serial number; the other tenant's dashboard shows none of it.
    board = admin.get("/entitlements/v1/dashboard").json()
    assert serial in [line["serial_number"] for line in board["expiring"]["30"]["items"]]
    assert board["products"][0]["allocated"] == 2
    strangers_board = stranger.get("/entitlements/v1/dashboard").json()
    assert serial not in str(strangers_board) and good not in str(strangers_board)
    assert strangers_board["unallocated_orders"]["total"] == 0

    # Traffic: replay, reused key, shared pool.
    first = admin.post("/entitlements/v1/usage", headers={"Idempotency-Key": "sms-1"},
                       json={"product_code": sms, "tax_id": tax_ids[0], "units": 10, "reference": "R-1"})
    assert first.status_code == 201 and first.json()["remaining"] == 90
    replay = admin.post("/entitlements/v1/usage", headers={"Idempotency-Key": "sms-1"},
                        json={"product_code": sms, "tax_id": tax_ids[0], "units": 10, "reference": "R-1"})
    assert replay.status_code == 201 and replay.json() == first.json()
    reused_key = admin.post("/entitlements/v1/usage", headers={"Idempotency-Key": "sms-1"},
                            json={"product_code": sms, "tax_id": tax_ids[0], "units": 11, "reference": "R-1"})
    assert reused_key.status_code == 422 and reused_key.json()["code"] == "idempotency_key_reused"
    shared = admin.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": tax_ids[1], "units": 5})
    assert shared.status_code == 201 and shared.json()["remaining"] == 85

    # The first allocation issued an API client: it consumes for its own tax ID only.
    client_id = wait_until(lambda: (admin.get(f"/identity/v1/api-clients?tax_id={tax_ids[0]}").json().get("items") or [None])[0],
                           30, interval=0.5, what="the API client of the first enterprise")["client_id"]
    secret = admin.post(f"/identity/v1/api-clients/{client_id}/reveal").json()["client_secret"]
    token = suite.api().post("/identity/v1/oauth/token", json={"grant_type": "client_credentials", "client_id": client_id,
                                                               "client_secret": secret}).json()["access_token"]
    enterprise_client = suite.api(token)
    own = enterprise_client.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": tax_ids[0], "units": 5})
    assert own.status_code == 201 and own.json()["remaining"] == 80
    foreign = enterprise_client.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": tax_ids[1], "units": 1})
    assert foreign.status_code == 403

    # Racing deductions never exceed the pool (80 left: 16 of 24 racers of 5 can win).
    def use(index: int) -> int:
        return suite.api(tenant.access_token).post("/entitlements/v1/usage", json={
            "product_code": sms, "tax_id": tax_ids[index % 2], "units": 5, "reference": f"race-{index}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(use, range(24)))
    assert statuses.count(201) == 16 and statuses.count(409) == 8
    board = admin.get("/entitlements/v1/dashboard").json()
    [pool_view] = [t for t in board["traffic"] if t["product_code"] == sms]
    assert (pool_view["balance"], pool_view["consumed"]) == (0, 100)


def test_welcome_and_activation_mails_link_to_the_portal_at_the_suites_real_gateway_port(suite, admin_token):
    """Under the e2e port offset the links name the port the gateway listens on (they named 8080 before)."""
    gateway_port = urlsplit(suite.url).port
    assert gateway_port == GATEWAY_PORT + suite.suite.port_offset != GATEWAY_PORT
    portal = f"http://localhost:{gateway_port}/portal"
    platform = suite.api(admin_token)
    seat = create_product(platform, "seat", service_group="invoice_issuing")
    tenant = create_tenant(suite, admin_token)
    welcome = body_text(suite.smtp.wait_for(tenant.email)[0])
    assert f"登录地址：{portal}\n" in welcome, welcome
    order = deliver_order(platform, tenant.tenant_id, [
        {"product_code": seat, "quantity": 1, "valid_from": days_from_today(0), "valid_to": days_from_today(30)}])
    operation_key_from_mail(suite, tenant.email, order["order_no"])
    [activation] = [text for text in map(body_text, suite.smtp.to(tenant.email)) if order["order_no"] in text]
    assert f"{portal}/activate?order_no={order['order_no']}" in activation, activation
    assert requests.get(f"{suite.url}/readyz", timeout=5).status_code == 200  # the port named is the gateway's


def _client_token(suite, client_id: str, secret: str) -> Any:
    return suite.api().post("/identity/v1/oauth/token", json={"grant_type": "client_credentials", "client_id": client_id,
                                                              "client_secret": secret})


def _approved(suite, admin_token: str, requester: Any, **body: Any) -> dict:
    submitted = requester.post("/entitlements/v1/change-requests", json={**body, "reason": "e2e"})
    assert submitted.status_code == 201, submitted.text
    reviewed = suite.api(admin_token).post(f"/entitlements/v1/change-requests/{submitted.json()['id']}/review",
                                           json={"decision": "approve", "comment": "ok"})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "approved", reviewed.text
    return reviewed.json()


def test_the_api_client_follows_a_tax_id_replacement_and_a_move(suite, admin_token):
    """Issue 19: identity follows entitlements.rights.moved.v1; tokens issued before reach nothing that moved."""
    platform = suite.api(admin_token)
    seat = create_product(platform, "seat", service_group="invoice_issuing")
    sms = create_product(platform, "traffic", traffic_category="sms")
    tenants, admins, activated = [], [], []
    for _ in range(2):
        lines = [{"product_code": seat, "quantity": 1, "valid_from": days_from_today(-1), "valid_to": days_from_today(300),
                  "serial_number": f"SN-{uuid.uuid4().hex[:8]}"},
                 {"product_code": sms, "quantity": 100, "valid_from": days_from_today(-1), "valid_to": days_from_today(300)}]
        tenant = create_tenant(suite, admin_token)
        order = deliver_order(platform, tenant.tenant_id, lines)
        tenants.append(tenant)
        admins.append(suite.api(tenant.access_token))
        activated.append(activate_order(suite, tenant, order))
    old_tax_id, replacement = new_tax_id(), new_tax_id()
    firm = admins[0].post("/entitlements/v1/enterprises", json={"name": "随迁企业有限公司", "tax_id": old_tax_id}).json()
    seat_line = next(line for line in activated[0]["lines"] if line["product_code"] == seat)
    allocated = admins[0].post("/entitlements/v1/allocations", json={"order_line_id": seat_line["id"], "enterprise_ids": [firm["id"]]})
    assert allocated.status_code == 201, allocated.text
    client_id = wait_until(lambda: (admins[0].get(f"/identity/v1/api-clients?tax_id={old_tax_id}").json().get("items") or [None])[0],
                           30, interval=0.5, what="the API client")["client_id"]
    secret = admins[0].post(f"/identity/v1/api-clients/{client_id}/reveal").json()["client_secret"]
    old_token = _client_token(suite, client_id, secret).json()["access_token"]

    # Tax-ID replacement: the client's next tokens carry the new tax ID; the old token reaches neither.
    _approved(suite, admin_token, admins[0], kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=replacement)
    wait_until(lambda: admins[0].get(f"/identity/v1/api-clients?tax_id={replacement}").json()["items"], 30, interval=0.5,
               what="the API client under the new tax ID")
    stale = suite.api(old_token)
    assert stale.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": old_tax_id, "units": 1}).status_code == 422
    assert stale.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": replacement, "units": 1}).status_code == 403
    fresh_token = _client_token(suite, client_id, secret).json()["access_token"]
    fresh = suite.api(fresh_token)
    used = fresh.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": replacement, "units": 1})
    assert used.status_code == 201 and used.json()["remaining"] == 99, used.text

    # Move to the second tenant: the old tenant can no longer reveal or rotate it, the old secret is dead,
    # the new tenant reveals a new one and consumes from its own pool.
    _approved(suite, admin_token, admins[1], kind="enterprise_move", tax_id=replacement)
    wait_until(lambda: admins[1].get("/identity/v1/api-clients").json()["items"], 30, interval=0.5, what="the moved API client")
    assert admins[0].post(f"/identity/v1/api-clients/{client_id}/reveal").status_code == 404
    assert admins[0].post(f"/identity/v1/api-clients/{client_id}/rotate-secret").status_code == 404
    assert _client_token(suite, client_id, secret).status_code == 401
    assert suite.api(fresh_token).post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": replacement,
                                                                        "units": 1}).status_code == 422
    moved_secret = admins[1].post(f"/identity/v1/api-clients/{client_id}/reveal").json()["client_secret"]
    mover = suite.api(_client_token(suite, client_id, moved_secret).json()["access_token"])
    used = mover.post("/entitlements/v1/usage", json={"product_code": sms, "tax_id": replacement, "units": 2})
    assert used.status_code == 201 and used.json()["remaining"] == 98, used.text


def test_support_finds_a_tenant_and_an_order_by_number_and_resends_its_activation_mail(suite, admin_token):
    """Issue 19's lists for people, through the gateway: staff search tenants, support look an order up by the
    number a customer reads out and resend its activation mail; a filter a list does not know is 422."""
    platform = suite.api(admin_token)
    seat = create_product(platform, "seat", service_group="invoice_issuing")
    marker = uuid.uuid4().hex[:6]
    tenant = create_tenant(suite, admin_token, name=f"苏州{marker}查找科技有限公司")
    order = deliver_order(platform, tenant.tenant_id, [
        {"product_code": seat, "quantity": 1, "valid_from": days_from_today(0), "valid_to": days_from_today(30)}])
    first_key = operation_key_from_mail(suite, tenant.email, order["order_no"])
    me = platform.get("/identity/v1/me").json()
    support = suite.api(invite_and_log_in(suite, admin_token, me["org_id"], ["support"]))

    found = support.get("/identity/v1/tenants", params={"q": f"{marker}查找"})
    assert found.status_code == 200 and [t["id"] for t in found.json()["items"]] == [tenant.tenant_id], found.text
    admins = support.get(f"/identity/v1/tenants/{tenant.tenant_id}/admins").json()
    assert admins["total"] == 1 and admins["items"][0]["enabled"] is True and admins["items"][0]["last_login_at"]

    lookup = support.get("/entitlements/v1/orders", params={"order_no": order["order_no"].lower()})
    assert lookup.status_code == 200 and [o["id"] for o in lookup.json()["items"]] == [order["id"]], lookup.text
    resent = support.post(f"/entitlements/v1/orders/{lookup.json()['items'][0]['id']}/resend-activation")
    assert resent.status_code == 200, resent.text

    def new_key() -> str | None:
        keys = [OPERATION_KEY_RE.search(text).group(1) for text in map(body_text, suite.smtp.to(tenant.email))
                if order["order_no"] in text and OPERATION_KEY_RE.search(text)]
        return keys[-1] if len(keys) == 2 else None

    assert wait_until(new_key, 20, what="the resent activation mail") != first_key
    unknown = support.get("/entitlements/v1/orders", params={"q": order["order_no"]})
    assert unknown.status_code == 422 and "q" in unknown.json()["errors"], unknown.text
