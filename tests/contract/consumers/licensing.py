"""licensing's expectations: entitlements' answers to the license saga and the seat totals of delivered orders."""
from __future__ import annotations

from typing import Any

from services.licensing.adapters.orm import licensed_seats
from tests.contract.consumers import SERVICE_GROUP, TAX_ID, TENANT, MessageExpectation
from tests.contract.harness import Service
from tests.contract.matchers import date, each, nullable, one_of
from tests.contract.providers import licensing as drive

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
]
