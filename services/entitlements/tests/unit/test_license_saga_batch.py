"""ENT-11 in batches: `on_licenses_authorized` ends exactly as `on_license_authorized` one event after the other.

Each scenario runs twice on two fresh databases — once as one batch, once event by event — and the
answers (outbox events in order), the audit trail, the seats taken per line and the enterprises must
be the same (ids aside, which are random). The one difference allowed: a batch emits `seats.allocated` once per
line with all its allocations (as the portal does for several enterprises), so those are compared
allocation by allocation.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from services.entitlements.adapters.orm import enterprises, order_lines, platform
from services.entitlements.service_layer import licenses
from services.entitlements.service_layer.licenses import on_license_authorized, on_licenses_authorized
from services.entitlements.tests.conftest import make_app
from services.entitlements.tests.portal import USCC, Portal
from services.entitlements.tests.unit.test_license_saga import T1, T2, authorized

LEGACY = [f"110105491231002{i:02d}" for i in range(6)]
IDS = {"order_line_id", "enterprise_id"}


def _portal(service_database, tokens, clock) -> Portal:  # type: ignore[no-untyped-def]
    app = make_app(service_database("entitlements"), tokens, clock)
    return Portal(app, app.test_client(), tokens)


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in IDS}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _state(portal: Portal, after: tuple[int, int]) -> dict[str, Any]:
    with portal.context.session_factory() as session:
        events = [(row.type, _without_ids(json.loads(row.payload)["data"])) for row in session.execute(
            select(platform.outbox.c.type, platform.outbox.c.payload).where(platform.outbox.c.id > after[0])
            .order_by(platform.outbox.c.id))]
        audits = [(row.action, row.detail) for row in session.execute(
            select(platform.audit_log.c.action, platform.audit_log.c.detail).where(platform.audit_log.c.id > after[1])
            .order_by(platform.audit_log.c.id))]
        lines = sorted(session.execute(select(order_lines.c.serial_number, order_lines.c.allocated)).all())
        firms = sorted(session.execute(
            select(enterprises.c.tax_id, enterprises.c.tenant_id, enterprises.c.name, enterprises.c.first_allocated_at.is_(None))).all())
    answers = [event for event in events if event[0] != "entitlements.seats.allocated.v1"]
    allocated = sorted(json.dumps({**{k: v for k, v in data.items() if k != "allocations"}, "allocation": one}, sort_keys=True)
                       for type_, data in events if type_ == "entitlements.seats.allocated.v1" for one in data["allocations"])
    return {"answers": answers, "allocated": allocated, "audits": audits, "lines": lines, "enterprises": firms}


def _last_ids(portal: Portal) -> tuple[int, int]:
    with portal.context.session_factory() as session:
        return tuple(  # type: ignore[return-value]
            session.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar() or 0
            for table in (platform.outbox, platform.audit_log))


def _two_seat_lines(portal: Portal) -> None:
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 1, "serial_number": "SN-A", "valid_to": "2026-06-30"})
    portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2, "serial_number": "SN-B", "valid_to": "2026-11-30"})


def _mixed(portal: Portal) -> list[dict[str, Any]]:
    """Earliest expiry first, the last seats, another tenant's enterprise, serial numbers required, known and unknown."""
    _two_seat_lines(portal)
    portal.tenant_known(T2)
    portal.enterprise(T2, USCC[2])
    return [authorized("r-0", LEGACY[0]), authorized("r-1", USCC[2]), authorized("r-2", LEGACY[1], license_type="temporary"),
            authorized("r-3", LEGACY[2], serial_number="SN-X"), authorized("r-4", LEGACY[3], serial_number="SN-B"),
            authorized("r-5", LEGACY[4]), authorized("r-6", LEGACY[5])]


def _allocated_before(portal: Portal) -> list[dict[str, Any]]:
    """The tenant's own enterprise, allocated before in another group: a seat, not its first."""
    _two_seat_lines(portal)
    portal.product("FP-RECV", service_group="invoice_receiving")
    order = portal.activated_order(T1, {"product_code": "FP-RECV", "quantity": 1, "serial_number": "SN-R"})
    firm = portal.enterprise(T1, USCC[0])
    assert portal.allocate(T1, order["lines"][0]["id"], [firm["id"]]).status_code == 201
    return [authorized("r-0", USCC[0]), authorized("r-1", LEGACY[0])]


def _repeated_tax_id(portal: Portal) -> list[dict[str, Any]]:
    """One-by-one path: the same tax ID twice in the batch is granted once, answered twice."""
    _two_seat_lines(portal)
    return [authorized("r-0", LEGACY[0]), authorized("r-1", LEGACY[1]), authorized("r-2", LEGACY[0])]


def _held_and_portal_seats(portal: Portal) -> list[dict[str, Any]]:
    """One-by-one path: a grant already held, a seat taken in the portal, an enterprise never allocated."""
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    line = portal.activated_order(T1, {"product_code": "FP-ISSUE", "quantity": 3, "serial_number": "SN-A"})["lines"][0]
    firm = portal.enterprise(T1, USCC[0])
    assert portal.allocate(T1, line["id"], [firm["id"]]).status_code == 201
    portal.enterprise(T1, USCC[1])
    portal.run(on_license_authorized, authorized("r-held", LEGACY[0]))
    return [authorized("r-0", LEGACY[0]), authorized("r-1", USCC[0]), authorized("r-2", USCC[1]), authorized("r-3", LEGACY[1])]


@pytest.mark.parametrize("scenario", [_mixed, _allocated_before, _repeated_tax_id, _held_and_portal_seats])
def test_a_batch_ends_as_the_same_events_one_by_one(scenario, service_database, tokens, clock):  # type: ignore[no-untyped-def]
    one_by_one, batched = _portal(service_database, tokens, clock), _portal(service_database, tokens, clock)
    batch = scenario(one_by_one)
    assert scenario(batched) == batch
    before = _last_ids(one_by_one), _last_ids(batched)
    for data in batch:
        one_by_one.run(on_license_authorized, data)
    batched.run(on_licenses_authorized, batch)
    expected, got = _state(one_by_one, before[0]), _state(batched, before[1])
    assert got == expected
    assert expected["answers"], "the scenario answered nothing"


def test_the_mixed_batch_takes_the_set_path_and_answers_each_in_order(portal, monkeypatch):  # type: ignore[no-untyped-def]
    batch = _mixed(portal)
    monkeypatch.setattr(licenses, "on_license_authorized", lambda *a: pytest.fail("took the one-by-one path"))
    portal.run(on_licenses_authorized, batch)
    granted = [(e["request_id"], e["serial_number"]) for e in portal.events("entitlements.seat.granted.v1")]
    refused = [(e["request_id"], e["reason"]) for e in portal.events("entitlements.seat.refused.v1")]
    assert granted == [("r-0", "SN-A"), ("r-4", "SN-B"), ("r-5", "SN-B")]
    assert refused == [("r-1", "enterprise_of_other_tenant"), ("r-2", "serial_number_required"), ("r-3", "unknown_serial_number"),
                       ("r-6", "no_remaining_entitlement")]


def test_batches_needing_the_one_by_one_path_take_it(portal, monkeypatch):  # type: ignore[no-untyped-def]
    batch = _repeated_tax_id(portal)
    seen: list[str] = []
    one = licenses.on_license_authorized
    monkeypatch.setattr(licenses, "on_license_authorized", lambda uow, data: (seen.append(data["request_id"]), one(uow, data)))
    portal.run(on_licenses_authorized, batch)
    assert seen == ["r-0", "r-1", "r-2"]


def test_a_batch_emits_one_seats_allocated_per_line(portal):  # type: ignore[no-untyped-def]
    portal.run(on_licenses_authorized, _mixed(portal))
    allocated = portal.events("entitlements.seats.allocated.v1")
    assert [[a["tax_id"] for a in event["allocations"]] for event in allocated] == [[LEGACY[0]], [LEGACY[3], LEGACY[4]]]
    assert all(a["first_for_enterprise"] for event in allocated for a in event["allocations"])
