"""Racing batches of authorizations on PostgreSQL (several consumers, overlapping tax IDs, one-by-one racers too).

Whatever the interleaving: one seat per tax ID, never more seats than the lines hold, every
authorization answered, and no deadlock (the batch locks its keys in sorted order, then the lines).
"""
from __future__ import annotations

from sqlalchemy import func, select

from services.entitlements.adapters.orm import allocations, license_grants, order_lines
from services.entitlements.service_layer.licenses import on_license_authorized, on_licenses_authorized
from services.entitlements.tests.unit.test_license_saga import T1, authorized
from shared.testkit import race

TAX_IDS = [f"110105491231002{i:02d}" for i in range(12)]


def _scalar(portal, query):  # type: ignore[no-untyped-def]
    with portal.context.session_factory() as session:
        return session.execute(query).scalar_one()


def test_racing_batches_take_one_seat_per_tax_id_and_never_too_many(pg_portal):  # type: ignore[no-untyped-def]
    pg_portal.tenant_known(T1)
    pg_portal.product("FP-ISSUE")
    pg_portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 4, "serial_number": "SN-A", "valid_to": "2026-06-30"})
    pg_portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 3, "serial_number": "SN-B"})
    # Overlapping windows of the tax IDs, in both directions, plus one-by-one racers on the same keys.
    batches = [TAX_IDS[i:i + 5] if i % 2 else list(reversed(TAX_IDS[i:i + 5])) for i in range(0, 8)]
    singles = [TAX_IDS[0], TAX_IDS[6], TAX_IDS[11]]

    def authorize(i):  # type: ignore[no-untyped-def]
        if i < len(batches):
            return pg_portal.run(on_licenses_authorized, [authorized(f"b{i}-{t}", t) for t in batches[i]])
        tax_id = singles[i - len(batches)]
        return pg_portal.run(on_license_authorized, authorized(f"s-{tax_id}", tax_id))

    results = race(len(batches) + len(singles), authorize)
    assert not [r for r in results if isinstance(r, Exception)], results
    distinct = {t for batch in batches for t in batch} | set(singles)
    asked = sum(len(batch) for batch in batches) + len(singles)
    granted = pg_portal.events("entitlements.seat.granted.v1")
    refused = pg_portal.events("entitlements.seat.refused.v1")
    assert len(granted) + len(refused) == asked
    assert {r["reason"] for r in refused} <= {"no_remaining_entitlement"}
    assert _scalar(pg_portal, select(func.count()).select_from(allocations)) == 7 == len({g["tax_id"] for g in granted})
    assert _scalar(pg_portal, select(func.count()).select_from(license_grants)) == 7
    assert _scalar(pg_portal, select(func.sum(order_lines.c.allocated))) == 7
    assert _scalar(pg_portal, select(func.count(func.distinct(allocations.c.enterprise_id)))) == 7
    assert len(distinct) > 7  # more tax IDs than seats: some were refused
    # A tax ID granted once is granted the same seat again whenever it is asked again.
    by_tax_id: dict[str, set[str]] = {}
    for g in granted:
        by_tax_id.setdefault(g["tax_id"], set()).add(g["order_line_id"])
    assert all(len(lines) == 1 for lines in by_tax_id.values())
