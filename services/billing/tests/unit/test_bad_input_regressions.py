"""Regressions found by schemathesis over billing's OpenAPI (tests/security/test_bad_input.py)."""

from __future__ import annotations

import re

UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def test_times_are_served_as_utc_with_a_z(world, client, headers):
    world.top_up_offline("ACME", 5000)
    [order] = world.ok(client.get("/billing/v1/orders", headers=headers.staff("finance")))["items"]
    for field in ("created_at", "confirmed_at", "paid_at"):
        assert UTC_TIME.match(order[field]), (field, order[field])
    detail = world.ok(client.get(f"/billing/v1/orders/{order['id']}", headers=headers.staff("finance")))
    assert UTC_TIME.match(detail["created_at"])
    [topup] = world.ok(client.get("/billing/v1/offline-topups", headers=headers.staff("finance")))["items"]
    assert UTC_TIME.match(topup["created_at"]) and UTC_TIME.match(topup["reviewed_at"])
