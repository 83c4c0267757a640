"""licensing's expectations: entitlements' answers to the license saga and the seat totals of delivered orders."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.licensing.adapters.orm import licensed_seats, licenses
from tests.contract.consumers import SERVICE_GROUP, TAX_ID, TENANT, MessageExpectation
from tests.contract.harness import Service
from tests.contract.matchers import date, each, nullable, one_of, uuid
from tests.contract.providers import licensing as drive
from tests.contract.providers import ok

SUBJECT = f"{TENANT}:{TAX_ID}:invoice_issuing"
ANSWER = {"tenant_id": TENANT, "request_id": "req-1", "tax_id": TAX_ID, "service_group": SERVICE_GROUP}
REASONS = ("no_remaining_entitlement", "serial_number_required", "unknown_serial_number", "enterprise_of_other_tenant")


def awaiting_authorization(service: Service) -> None:
    drive.awaiting_answer(service, "req-1", drive.authorized)


def awaiting_cancellation(service: Service) -> None:
    drive.awaiting_answer(service, "req-1", drive.cancelled)


def synced(status: str, error: str | None = None) -> Any:
    def check(service: Service, body: dict[str, Any]) -> None:
        stored = drive.license_of(service)
        assert (stored.sync_status, stored.sync_error) == (status, error), stored

    return check


def seats_recorded(service: Service, body: dict[str, Any]) -> None:
    assert service.count(licensed_seats, licensed_seats.c.tenant_id == body["data"]["tenant_id"]) == 1


NEW_TENANT = "7c2d9e4b-1a3f-4b6c-8d5e-9f0a1b2c3d4e"
KINDS = ("tax_id_replacement", "enterprise_move", "tenant_merge")


def seat_held_and_new_tenant_has_erp(service: Service) -> None:
    """Tenant T's enterprise holds a granted seat of line-1 (3 seats); the new tenant has an ERP instance."""
    drive.granted(service)
    headers = service.headers(sub="admin-2", org_id=NEW_TENANT, org_kind="tenant", roles=("tenant_admin",))
    ok(service.client().put("/licensing/v1/erp-instance", json={"license_type": "formal", "idc": False}, headers=headers))


def rights_followed(service: Service, body: dict[str, Any]) -> None:
    data = body["data"]
    with service.context.session_factory() as session:
        owners = set(session.execute(select(licenses.c.tenant_id).where(licenses.c.tax_id == data["tax_id"])).scalars())
        seats = {row.order_line_id: (row.tenant_id, row.quantity) for row in session.execute(select(licensed_seats))}
    assert owners == {data["to_tenant_id"]}, owners
    for line in data["seat_lines"]:
        assert seats[line["order_line_id"]] == (line["tenant_id"], line["quantity"]), seats


EXPECTATIONS = [
    MessageExpectation(
        "licensing", "entitlements.seat.granted.v1", "the license synced with its validity",
        "tenant T has an activated order with 3 seats and licensing authorizes a tax ID", SUBJECT,
        {**ANSWER, "order_line_id": "line-1", "serial_number": nullable("SN-0001"), "valid_from": date("2025-12-01"),
         "valid_to": date("2026-12-31")},
        prepare=awaiting_authorization, check=synced("succeeded")),
    MessageExpectation(
        "licensing", "entitlements.seat.refused.v1", "the license's sync failed with the reason",
        "tenant T has used its only seat and licensing authorizes another tax ID", SUBJECT,
        {**ANSWER, "reason": one_of(*REASONS)},
        prepare=awaiting_authorization, check=synced("failed", "no_remaining_entitlement")),
    MessageExpectation(
        "licensing", "entitlements.seat.released.v1", "the cancellation synced",
        "licensing cancels a tax ID that holds a seat of tenant T", SUBJECT,
        {**ANSWER, "order_line_id": nullable("line-1")},
        prepare=awaiting_cancellation, check=synced("succeeded")),
    MessageExpectation(
        "licensing", "entitlements.order.delivered.v1", "the tenant's licensed seat totals",
        "platform sales delivered an order with 3 invoice-issuing seats to a known tenant", "order-1",
        {"tenant_id": TENANT, "lines": each({"id": "line-1", "kind": one_of("seat", "traffic"),
                                             "service_group": nullable(SERVICE_GROUP), "quantity": 3, "valid_from": date("2025-12-01"),
                                             "valid_to": date("2026-12-31"), "serial_number": nullable("SN-0001")})},
        check=seats_recorded),
    MessageExpectation(
        "licensing", "entitlements.rights.moved.v1", "seat totals and licenses follow an approved change request",
        "platform staff approved moving an enterprise holding a seat to the tenant that asked for it", uuid(),
        {"change_request_id": uuid(), "kind": one_of(*KINDS, example="enterprise_move"), "from_tenant_id": TENANT,
         "to_tenant_id": NEW_TENANT, "tax_id": nullable(TAX_ID), "old_tax_id": nullable(TAX_ID), "new_tax_id": nullable(TAX_ID),
         "seat_lines": each({"order_line_id": "line-1", "tenant_id": TENANT, "service_group": SERVICE_GROUP, "quantity": 2,
                             "valid_from": date("2025-12-01"), "valid_to": date("2026-12-31"), "serial_number": "SN-0001"},
                            min=0)},
        prepare=seat_held_and_new_tenant_has_erp, check=rights_followed),
]
