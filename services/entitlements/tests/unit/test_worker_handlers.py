"""The worker's side: tenant read model, marketplace orders, and expiry reminders (ENT-9)."""
from __future__ import annotations

from services.entitlements.adapters.orm import orders
from services.entitlements.entrypoints.worker import event_handlers, jobs
from services.entitlements.service_layer.expiry import send_expiry_reminders
from services.entitlements.service_layer.orders import on_marketplace_order_paid
from services.entitlements.service_layer.tenants import find_tenant, on_organisation_changed
from services.entitlements.tests.portal import USCC
from shared.envelope import new_event
from shared.topology import consumed_event_types

T1 = "tenant-1"


def test_every_consumed_event_type_has_a_handler():
    assert set(event_handlers(None)) == consumed_event_types("entitlements")
    assert [job.name for job in jobs()] == ["expiry_reminders"]


def test_tenant_read_model_follows_identity(portal):
    portal.tenant_known(T1, name="旧名有限公司")
    event = new_event("identity", "identity.organisation.updated.v1", T1, {
        "org_id": T1, "kind": "tenant", "name": "新名有限公司", "parent_id": None, "status": "active",
        "contact_email": "new@t1.test", "contact_phone": None, "external_ref": None})
    portal.run(on_organisation_changed, event)
    reseller = new_event("identity", "identity.organisation.created.v1", "r-1", {"org_id": "r-1", "kind": "reseller", "name": "R"})
    portal.run(on_organisation_changed, reseller)
    with portal.context.session_factory() as session:
        tenant = find_tenant(session, T1)
        assert (tenant.name, tenant.contact_email) == ("新名有限公司", "new@t1.test")
        assert find_tenant(session, "r-1") is None


def _paid(order_id="m-1", tenant_id=T1):
    return {"order_id": order_id, "order_no": "MO-1", "reseller_id": "r-1", "customer_id": "c-1", "tenant_id": tenant_id,
            "total_minor": 100, "currency": "CNY", "recipient": {"email": "reseller-user@example.test"},
            "entitlement_lines": [{"product_code": "FP-ISSUE", "quantity": 2, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}]}


def test_paid_marketplace_order_is_delivered_once(portal):
    portal.tenant_known(T1, email="boss@t1.test")
    portal.product("FP-ISSUE")
    policy = portal.context.extras["policy"]
    portal.run(on_marketplace_order_paid, policy, _paid())
    portal.run(on_marketplace_order_paid, policy, _paid())
    [event] = portal.events("entitlements.order.delivered.v1")
    assert event["source"] == "marketplace" and event["recipient"]["email"] == "boss@t1.test"
    assert event["lines"][0]["quantity"] == 2 and event["operation_key"]
    assert portal.count(orders) == 1


def test_marketplace_order_for_a_tenant_not_yet_known_is_delivered_without_mailing_the_reseller(portal):
    portal.product("FP-ISSUE")
    portal.run(on_marketplace_order_paid, portal.context.extras["policy"], _paid(tenant_id="later"))
    [event] = portal.events("entitlements.order.delivered.v1")
    assert event["tenant_id"] == "later" and event["recipient"] is None


def test_expiry_reminders_at_30_7_1_days_and_after_each_once(portal, clock):
    portal.tenant_known(T1, email="boss@t1.test")
    portal.product("FP-ISSUE")
    portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 1, "valid_to": "2026-02-15", "serial_number": "SN-E"})
    for _ in range(60):
        portal.run(send_expiry_reminders)
        portal.run(send_expiry_reminders)
        clock.advance(days=1)
    expiring = portal.events("entitlements.line.expiring.v1")
    expired = portal.events("entitlements.line.expired.v1")
    sent = [(e["days_left"], e["serial_number"]) for e in expiring]
    assert sent == [(30, "SN-E"), (7, "SN-E"), (1, "SN-E")]
    assert [e["days_left"] for e in expired] == [-1]
    assert expiring[0]["recipient"]["email"] == "boss@t1.test" and expiring[0]["order_no"].startswith("EO")


def test_expiry_reminders_name_the_enterprises_holding_seats_of_the_line(portal, clock):
    portal.tenant_known(T1, email="boss@t1.test")
    portal.product("FP-ISSUE")
    order = portal.activated_order(T1, {"product_code": "FP-ISSUE", "quantity": 2, "valid_to": "2026-01-31", "serial_number": "SN-N"})
    firms = [portal.enterprise(T1, USCC[0], "杭州示例网络有限公司"), portal.enterprise(T1, USCC[1], "苏州示例科技有限公司")]
    portal.allocate(T1, order["lines"][0]["id"], [firm["id"] for firm in firms])
    portal.run(send_expiry_reminders)
    [reminder] = portal.events("entitlements.line.expiring.v1")
    assert reminder["enterprise_count"] == 2
    assert sorted(e["tax_id"] for e in reminder["enterprises"]) == sorted(USCC[:2]) and reminder["days_left"] == 30
    assert {e["name"] for e in reminder["enterprises"]} == {"杭州示例网络有限公司", "苏州示例科技有限公司"}
