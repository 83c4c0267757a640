"""The saga's answers handled as a run in a consumer's batch (`answers.on_answers`): as one by one, in order."""
from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from services.licensing.service_layer.answers import BATCH_HANDLERS, on_answers
from services.licensing.tests.driver import LicensingDriver, entitlements_event, tax_id
from shared.envelope import Event
from shared.uow import UnitOfWork

ISSUING, RECEIVING = "invoice_issuing", "invoice_receiving"
AUTHORIZED, CANCELLED = "licensing.license.authorized.v1", "licensing.license.cancelled.v1"
A, B, C, D = tax_id(1), tax_id(2), tax_id(3), tax_id(4)


def _run(driver: LicensingDriver, events: list[Event]) -> None:
    context = driver.app.extensions["suite_context"]
    with context.session_factory() as session:
        on_answers(UnitOfWork(context.service, session, context.tables, context.clock), events)
        session.commit()


def _answer(driver: LicensingDriver, type_: str, tax: str, group: str, request_id: str | None = None, **extra: Any) -> Event:
    asked = CANCELLED if type_.endswith("released.v1") else AUTHORIZED
    data = {"tenant_id": driver.tenant_id, "tax_id": tax, "service_group": group,
            "request_id": request_id or [d for d in driver.sent(asked) if d["tax_id"] == tax and d["service_group"] == group][-1][
                "request_id"], **extra}
    return entitlements_event(type_, data)


def _state(driver: LicensingDriver, group: str, tax: str) -> tuple[Any, ...]:
    item = driver.license(group, tax)
    return item["sync_status"], item["sync_pending"], item["sync_error"], item["valid_to"]


def test_a_run_of_answers_applies_each_in_delivery_order_across_groups(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A, B, C, D)
    ready.authorize(RECEIVING, A)
    granted = {"order_line_id": "line-1", "serial_number": None, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    sagas = REGISTRY.get_sample_value("license_saga_seconds_count") or 0.0
    _run(ready, [
        _answer(ready, "entitlements.seat.granted.v1", A, ISSUING, **granted),
        _answer(ready, "entitlements.seat.refused.v1", B, ISSUING, reason="no_remaining_entitlement"),
        _answer(ready, "entitlements.seat.granted.v1", C, ISSUING, request_id="an-earlier-request", **granted),
        _answer(ready, "entitlements.seat.refused.v1", D, ISSUING, reason="no_remaining_entitlement"),
        _answer(ready, "entitlements.seat.granted.v1", D, ISSUING, **granted),  # the later answer of the same request wins
        _answer(ready, "entitlements.seat.granted.v1", A, RECEIVING, **{**granted, "valid_to": "2027-03-31"}),
        _answer(ready, "entitlements.seat.granted.v1", tax_id(99), ISSUING, request_id="r-unknown", **granted),  # ignored
    ])
    assert _state(ready, ISSUING, A) == ("succeeded", False, None, "2026-12-31")
    assert _state(ready, ISSUING, B) == ("failed", False, "no_remaining_entitlement", None)
    assert _state(ready, ISSUING, C) == (None, True, None, None)  # stale: still waiting for its own answer
    assert _state(ready, ISSUING, D) == ("succeeded", False, None, "2026-12-31")
    assert _state(ready, RECEIVING, A) == ("succeeded", False, None, "2027-03-31")
    assert REGISTRY.get_sample_value("license_saga_seconds_count") == sagas + 3, "one saga latency per grant applied"


def test_releases_in_a_run_and_the_same_answer_twice(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A, B)
    ready.grant(A, ISSUING)
    ready.grant(B, ISSUING)
    ready.cancel(ISSUING, A, B)
    released = _answer(ready, "entitlements.seat.released.v1", A, ISSUING, order_line_id="line-1")
    _run(ready, [released, released, _answer(ready, "entitlements.seat.released.v1", B, ISSUING, order_line_id="line-1")])
    assert ready.license(ISSUING, A)["sync_status"] == ready.license(ISSUING, B)["sync_status"] == "succeeded"
    assert ready.license(ISSUING, A)["authorization_status"] == "unauthorized"


def test_every_answer_type_has_a_batch_handler_and_the_read_model_does_not() -> None:
    assert set(BATCH_HANDLERS) == {"entitlements.seat.granted.v1", "entitlements.seat.refused.v1", "entitlements.seat.released.v1"}
