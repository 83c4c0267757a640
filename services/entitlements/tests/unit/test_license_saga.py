"""ENT-11: licensing's authorizations take seats, cancellations release them, each answered once per request."""
from __future__ import annotations

from sqlalchemy import select

from services.entitlements.adapters.orm import allocations, enterprises, order_lines
from services.entitlements.service_layer.licenses import on_license_authorized, on_license_cancelled
from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def authorized(request_id, tax_id=USCC[0], serial_number=None, group="invoice_issuing", tenant=T1, license_type="formal", idc=False):
    return {"tenant_id": tenant, "request_id": request_id, "tax_id": tax_id, "enterprise_name": "授权企业有限公司",
            "service_group": group, "serial_number": serial_number, "license_type": license_type, "idc": idc,
            "authorized_by": "erp-user"}


def cancelled(request_id, tax_id=USCC[0], group="invoice_issuing", tenant=T1):
    return {"tenant_id": tenant, "request_id": request_id, "tax_id": tax_id, "service_group": group}


def _allocated(portal, line_id):
    with portal.context.session_factory() as session:
        return session.execute(select(order_lines.c.allocated).where(order_lines.c.id == line_id)).scalar_one()


def _seats(portal, quantity=1, serial="SN-A", activate=False):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    line = {"product_code": "FP-ISSUE", "quantity": quantity, "serial_number": serial, "valid_from": "2025-12-01",
            "valid_to": "2026-11-30"}
    order = portal.activated_order(T1, line) if activate else portal.deliver(T1, line)
    return order["lines"][0]


def test_authorization_grants_a_seat_with_the_lines_validity_and_adds_the_enterprise(portal):
    line = _seats(portal)
    portal.run(on_license_authorized, authorized("r-1"))
    [granted] = portal.events("entitlements.seat.granted.v1")
    assert granted == {"tenant_id": T1, "request_id": "r-1", "tax_id": USCC[0], "service_group": "invoice_issuing",
                       "order_line_id": line["id"], "serial_number": "SN-A", "valid_from": "2025-12-01", "valid_to": "2026-11-30"}
    assert portal.count(enterprises) == 1 and portal.count(allocations) == 1
    assert portal.events("entitlements.seats.allocated.v1")[0]["allocations"][0]["first_for_enterprise"] is True


def test_repeated_authorization_never_takes_a_second_seat(portal):
    _seats(portal, quantity=2)
    portal.run(on_license_authorized, authorized("r-1"))
    portal.run(on_license_authorized, authorized("r-1"))
    portal.run(on_license_authorized, authorized("r-2"))
    assert [e["request_id"] for e in portal.events("entitlements.seat.granted.v1")] == ["r-1", "r-1", "r-2"]
    assert portal.count(allocations) == 1


def test_no_seat_left_is_refused(portal):
    _seats(portal, quantity=1)
    portal.run(on_license_authorized, authorized("r-1", USCC[0]))
    portal.run(on_license_authorized, authorized("r-2", USCC[1]))
    [refused] = portal.events("entitlements.seat.refused.v1")
    assert refused == {"tenant_id": T1, "request_id": "r-2", "tax_id": USCC[1], "service_group": "invoice_issuing",
                       "reason": "no_remaining_entitlement"}


def test_unknown_serial_number_is_refused_and_a_known_one_picks_its_line(portal):
    _seats(portal, quantity=1, serial="SN-A")
    portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 1, "serial_number": "SN-B", "valid_to": "2027-06-30"})
    portal.run(on_license_authorized, authorized("r-1", serial_number="SN-X"))
    assert portal.events("entitlements.seat.refused.v1")[0]["reason"] == "unknown_serial_number"
    portal.run(on_license_authorized, authorized("r-2", serial_number="SN-B"))
    assert portal.events("entitlements.seat.granted.v1")[0]["serial_number"] == "SN-B"


def test_serial_number_required_by_the_license_type(portal):
    _seats(portal)
    portal.run(on_license_authorized, authorized("r-1", license_type="temporary"))
    assert portal.events("entitlements.seat.refused.v1")[0]["reason"] == "serial_number_required"
    assert portal.count(allocations) == 0


def test_enterprise_of_another_tenant_is_refused(portal):
    _seats(portal)
    portal.tenant_known(T2)
    portal.enterprise(T2, USCC[0])
    portal.run(on_license_authorized, authorized("r-1"))
    assert portal.events("entitlements.seat.refused.v1")[0]["reason"] == "enterprise_of_other_tenant"
    assert portal.count(allocations) == 0


def test_a_seat_already_allocated_in_the_portal_is_reused(portal):
    line = _seats(portal, quantity=2, activate=True)
    firm = portal.enterprise(T1, USCC[0])
    portal.allocate(T1, line["id"], [firm["id"]])
    portal.run(on_license_authorized, authorized("r-1"))
    assert portal.events("entitlements.seat.granted.v1")[0]["order_line_id"] == line["id"]
    assert portal.count(allocations) == 1


def test_cancellation_releases_the_seat_exactly_once(portal):
    line = _seats(portal, quantity=1)
    portal.run(on_license_authorized, authorized("r-1"))
    assert _allocated(portal, line["id"]) == 1
    portal.run(on_license_cancelled, cancelled("c-1"))
    portal.run(on_license_cancelled, cancelled("c-1"))
    released = portal.events("entitlements.seat.released.v1")
    assert [(e["request_id"], e["order_line_id"]) for e in released] == [("c-1", line["id"]), ("c-1", line["id"])]
    assert _allocated(portal, line["id"]) == 0
    portal.run(on_license_authorized, authorized("r-2", USCC[1]))
    assert portal.events("entitlements.seat.granted.v1")[-1]["request_id"] == "r-2"


def test_cancellation_without_a_seat_is_answered_without_releasing(portal):
    _seats(portal)
    portal.run(on_license_cancelled, cancelled("c-1"))
    [released] = portal.events("entitlements.seat.released.v1")
    assert released["order_line_id"] is None
