"""Batch cancellation and the 60-day re-authorization lock (LIC-4)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.licensing.domain.model import License, LicenseRefused, ServiceGroup
from services.licensing.tests.driver import LicensingDriver, tax_id
from shared.clock import FrozenClock

ISSUING = "invoice_issuing"
A, B, C = tax_id(1), tax_id(2), tax_id(3)


@pytest.fixture()
def synced(ready: LicensingDriver) -> LicensingDriver:
    ready.authorize(ISSUING, A, B)
    ready.grant(A, ISSUING)
    ready.grant(B, ISSUING)
    return ready


def test_cancelling_clears_date_authorizer_and_validity_and_records_the_cancel_time(synced: LicensingDriver, clock: FrozenClock) -> None:
    clock.advance(days=3)
    assert synced.codes(synced.cancel(ISSUING, A)) == {A: "cancelled"}

    item = synced.license(ISSUING, A)
    assert item["authorization_status"] == "unauthorized"
    assert (item["authorized_at"], item["authorized_by"], item["valid_from"], item["valid_to"]) == (None, None, None, None)
    assert item["authorized_by_name"] is None
    assert item["cancelled_at"] == "2026-01-04T00:00:00Z"
    assert item["reauthorizable_on"] == "2026-03-05"
    [sent] = synced.sent("licensing.license.cancelled.v1")
    assert sent == {"tenant_id": "tenant-1", "request_id": sent["request_id"], "tax_id": A, "service_group": ISSUING}
    assert synced.listing(ISSUING)["authorized"] == 1


def test_only_authorized_enterprises_can_be_cancelled_and_the_rest_of_the_batch_goes_on(synced: LicensingDriver) -> None:
    codes = synced.codes(synced.cancel(ISSUING, C, A, tax_id(99)))

    assert codes == {C: "not_authorized", A: "cancelled", tax_id(99): "enterprise_not_imported"}
    assert synced.codes(synced.cancel(ISSUING, A)) == {A: "not_authorized"}
    assert len(synced.sent("licensing.license.cancelled.v1")) == 1


def test_the_release_answer_marks_the_cancellation_synced(synced: LicensingDriver) -> None:
    synced.cancel(ISSUING, A)
    assert synced.license(ISSUING, A)["sync_pending"] is True

    synced.release(A, ISSUING)

    item = synced.license(ISSUING, A)
    assert (item["sync_status"], item["sync_pending"], item["sync_action"]) == ("succeeded", False, "cancel")


def test_cancelled_tax_id_cannot_be_reauthorized_for_60_days(synced: LicensingDriver, clock: FrozenClock) -> None:
    synced.cancel(ISSUING, A)

    clock.advance(days=59)
    [locked] = synced.authorize(ISSUING, A).json["results"]
    assert (locked["ok"], locked["code"], locked["unlock_on"]) == (False, "reauthorization_locked", "2026-03-02")
    assert synced.license(ISSUING, A)["authorization_status"] == "unauthorized"

    clock.advance(days=1)
    assert synced.codes(synced.authorize(ISSUING, A)) == {A: "authorized"}
    assert synced.license(ISSUING, A)["reauthorizable_on"] is None


def test_the_lock_counts_calendar_days_from_the_cancel_date() -> None:
    lic = License("t", "X", ServiceGroup.INVOICE_ISSUING)
    lic.authorize("u", datetime(2026, 1, 1, 9, tzinfo=UTC), "r1")
    lic.cancel(datetime(2026, 1, 1, 23, 59, tzinfo=UTC), "r2")

    with pytest.raises(LicenseRefused) as refused:
        lic.authorize("u", datetime(2026, 3, 1, 23, 59, tzinfo=UTC), "r3")
    assert refused.value.unlock_on == date(2026, 3, 2)
    lic.authorize("u", datetime(2026, 3, 2, 0, 0, tzinfo=UTC), "r4")
    assert lic.is_authorized


def test_a_cancelled_enterprise_cannot_issue_during_the_lock_and_can_again_once_reauthorized_and_synced(
    synced: LicensingDriver, clock: FrozenClock
) -> None:
    assert synced.capabilities(A).json["can_issue"] is True
    synced.cancel(ISSUING, A)
    synced.release(A, ISSUING)

    during = synced.capabilities(A).json
    assert (during["can_issue"], during["locked_until"]) == (False, "2026-03-02")

    clock.advance(days=60)
    synced.authorize(ISSUING, A)
    assert synced.capabilities(A).json["can_issue"] is False
    synced.grant(A, ISSUING)
    assert synced.capabilities(A).json == {"tax_id": A, "can_issue": True, "can_receive": False, "locked_until": None}


def test_cancellation_is_audited(synced: LicensingDriver) -> None:
    synced.cancel(ISSUING, A, C)

    assert [(r.target_id, r.detail["code"]) for r in synced.audit("license.cancel")] == [
        (f"{A}:{ISSUING}", "cancelled"),
        (f"{C}:{ISSUING}", "not_authorized"),
    ]
