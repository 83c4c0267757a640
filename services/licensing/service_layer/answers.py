"""Event handlers of the license saga's answers and of the seat read model.

Entitlements answers each sync with the request's `request_id`; an answer whose request is no longer
the license's current one (the user cancelled or re-synced meanwhile) is stale and changes nothing.
"""
from __future__ import annotations

import logging
from datetime import UTC

from services.licensing.adapters import repository
from services.licensing.adapters.repository import StoredLicense
from services.licensing.domain.model import ServiceGroup
from services.licensing.service_layer.rights import RIGHTS_MOVED, on_rights_moved
from services.licensing.service_layer.seat_lines import GROUPS, event_date, licensed_seat
from shared import metrics
from shared.envelope import Event
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def _licensed(uow: UnitOfWork, event: Event) -> StoredLicense | None:
    data = event.data
    group = ServiceGroup(data["service_group"])
    stored = repository.license_for_update(uow.session, data["tenant_id"], data["tax_id"], group)
    return stored if stored is not None else _moved_meanwhile(uow, event)


def _moved_meanwhile(uow: UnitOfWork, event: Event) -> StoredLicense | None:
    """An answer naming a tenant or tax ID the license no longer has: an approved change request moved it while
    entitlements answered (entitlements.rights.moved.v1). Its current request still identifies it."""
    data = event.data
    stored = repository.license_of_request_for_update(uow.session, str(data["request_id"]), ServiceGroup(data["service_group"]))
    if stored is None:
        log.warning("answer for an unknown license ignored", extra={"fields": {"event_id": event.id, "type": event.type}})
    return stored


def _apply(uow: UnitOfWork, event: Event, stored: StoredLicense, applied: bool) -> None:
    if applied:
        repository.save_license(uow.session, stored)
    else:
        log.info("stale sync answer ignored", extra={"fields": {"event_id": event.id, "request_id": event.data["request_id"]}})


def on_seat_granted(uow: UnitOfWork, event: Event) -> None:
    stored = _licensed(uow, event)
    if stored is not None:
        data = event.data
        applied = stored.license.record_grant(data["request_id"], event_date(data.get("valid_from")), event_date(data.get("valid_to")))
        if applied:
            _observe_saga(uow, stored)
        _apply(uow, event, stored, applied)


def on_seat_refused(uow: UnitOfWork, event: Event) -> None:
    stored = _licensed(uow, event)
    if stored is not None:
        _apply(uow, event, stored, stored.license.record_refusal(event.data["request_id"], str(event.data["reason"])[:80]))


def on_seat_released(uow: UnitOfWork, event: Event) -> None:
    stored = _licensed(uow, event)
    if stored is not None:
        _apply(uow, event, stored, stored.license.record_release(event.data["request_id"]))


def on_answers(uow: UnitOfWork, events: list[Event]) -> None:
    """A run of answers (granted / refused / released) at once: as their handlers one after the other.

    The licenses they answer are locked with one `SELECT … FOR UPDATE` per tenant and group (in that
    order, each in license id order, as the batch endpoints lock them), the answers applied in
    delivery order to the licenses in memory, and the changed licenses written back with one
    executemany.
    """
    keys: dict[tuple[str, str], set[str]] = {}
    for event in events:
        keys.setdefault((str(event.data["tenant_id"]), str(event.data["service_group"])), set()).add(str(event.data["tax_id"]))
    found: dict[tuple[str, str, str], StoredLicense] = {}
    for (tenant_id, group), tax_ids in sorted(keys.items()):
        for tax_id, stored in repository.licenses_for_update(uow.session, tenant_id, ServiceGroup(group), tax_ids).items():
            found[(tenant_id, tax_id, group)] = stored
    changed: dict[int, StoredLicense] = {}
    for event in events:
        data = event.data
        stored = found.get((str(data["tenant_id"]), str(data["tax_id"]), str(data["service_group"])))
        if stored is None:
            stored = _moved_meanwhile(uow, event)
            if stored is None:
                continue
            stored = changed.get(stored.id, stored)
        if _ANSWER[event.type](stored, data):
            changed[stored.id] = stored
            if event.type == GRANTED:
                _observe_saga(uow, stored)
        else:
            log.info("stale sync answer ignored", extra={"fields": {"event_id": event.id, "request_id": data["request_id"]}})
    repository.save_licenses(uow.session, list(changed.values()))


GRANTED = "entitlements.seat.granted.v1"


def _observe_saga(uow: UnitOfWork, stored: StoredLicense) -> None:
    """The saga's latency (authorize → seat granted) for the operators' `license_saga_seconds` (goal: p99 ≤ 100 ms).

    A grant answering a later re-sync of a license authorized long ago counts from the authorization too:
    the alert looks at the p99 of many, where those few do not move it."""
    authorized_at = stored.license.authorized_at
    if authorized_at is None:
        return
    if authorized_at.tzinfo is None:  # SQLite hands back naive UTC datetimes
        authorized_at = authorized_at.replace(tzinfo=UTC)
    metrics.LICENSE_SAGA_SECONDS.observe(max(0.0, (uow.clock.now() - authorized_at).total_seconds()))


_ANSWER = {
    GRANTED: lambda stored, data: stored.license.record_grant(
        data["request_id"], event_date(data.get("valid_from")), event_date(data.get("valid_to"))),
    "entitlements.seat.refused.v1": lambda stored, data: stored.license.record_refusal(data["request_id"], str(data["reason"])[:80]),
    "entitlements.seat.released.v1": lambda stored, data: stored.license.record_release(data["request_id"]),
}


def on_order_delivered(uow: UnitOfWork, event: Event) -> None:
    """Keeps the seat lines of the delivered order: their quantities are the tenant's total licensed (AA)."""
    seat_lines = [
        licensed_seat(line["id"], line)
        for line in event.data.get("lines", [])
        if line.get("kind") == "seat" and line.get("service_group") in GROUPS
    ]
    if seat_lines:
        repository.record_licensed_seats(uow.session, str(event.data["tenant_id"]), seat_lines)


HANDLERS = {
    "entitlements.seat.granted.v1": on_seat_granted,
    "entitlements.seat.refused.v1": on_seat_refused,
    "entitlements.seat.released.v1": on_seat_released,
    "entitlements.order.delivered.v1": on_order_delivered,
    RIGHTS_MOVED: on_rights_moved,
}

# Runs of consecutive answers of one type in a consumer's batch (shared/bus.py); HANDLERS stay the one-by-one path.
BATCH_HANDLERS = {event_type: on_answers for event_type in _ANSWER}
