"""Races on PostgreSQL for tenant-level traffic drawn by a platform service (the notifier's SMS): racing
messages never over-draw the pool, and racing retries of one message draw once."""
from __future__ import annotations

from sqlalchemy import func, select

from services.entitlements.adapters.orm import order_lines, usage_daily, usage_ledger
from shared.testkit import race

T1 = "tenant-1"
RACERS = 12


def _scalar(portal, query):
    with portal.context.session_factory() as session:
        return session.execute(query).scalar_one()


def _sms_pool(portal, quantity):
    portal.tenant_known(T1)
    portal.product("SMS", kind="traffic", traffic_category="sms")
    portal.activated_order(T1, {"product_code": "SMS", "quantity": quantity // 2, "valid_to": "2026-06-30"},
                           {"product_code": "SMS", "quantity": quantity - quantity // 2, "valid_to": "2026-12-31"})


def _send(portal, message_id):
    with portal.app.test_client() as client:
        return client.post("/entitlements/v1/usage", headers={**portal.service(), "Idempotency-Key": message_id},
                           json={"tenant_id": T1, "product_code": "SMS", "units": 1, "reference": message_id}).status_code


def test_racing_messages_never_draw_more_sms_than_the_pool_holds(pg_portal):
    _sms_pool(pg_portal, quantity=7)
    statuses = race(RACERS, lambda i: _send(pg_portal, f"message-{i}"))
    assert sorted(statuses) == [201] * 7 + [409] * (RACERS - 7)
    assert _scalar(pg_portal, select(func.sum(usage_ledger.c.units))) == 7
    assert _scalar(pg_portal, select(func.sum(order_lines.c.remaining))) == 0
    assert _scalar(pg_portal, select(usage_daily.c.uses).where(usage_daily.c.tax_id == "")) == 7


def test_racing_retries_of_one_message_draw_once(pg_portal):
    _sms_pool(pg_portal, quantity=10)
    statuses = race(RACERS, lambda _i: _send(pg_portal, "message-1"))
    assert set(statuses) == {201}
    assert _scalar(pg_portal, select(func.count()).select_from(usage_ledger)) == 1
    assert _scalar(pg_portal, select(func.sum(order_lines.c.remaining))) == 9
