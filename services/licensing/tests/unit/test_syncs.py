"""Manual sync (LIC-6) and the saga's answers: stale answers are ignored, redelivered ones change nothing."""
from __future__ import annotations

from services.licensing.tests.driver import LicensingDriver, tax_id

ISSUING = "invoice_issuing"
AUTHORIZED = "licensing.license.authorized.v1"
CANCELLED = "licensing.license.cancelled.v1"
A, B, C = tax_id(1), tax_id(2), tax_id(3)


def test_sync_authorization_is_only_for_authorized_enterprises_and_sends_a_fresh_request(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    ready.refuse(A, ISSUING, "no_remaining_entitlement")

    codes = ready.codes(ready.sync(ISSUING, "authorize", A, B, tax_id(99)))

    assert codes == {A: "sync_requested", B: "not_authorized", tax_id(99): "enterprise_not_imported"}
    first, again = ready.sent(AUTHORIZED)
    assert first["tax_id"] == again["tax_id"] == A and first["request_id"] != again["request_id"]
    item = ready.license(ISSUING, A)
    assert (item["sync_status"], item["sync_pending"], item["sync_error"]) == (None, True, None)


def test_sync_cancellation_is_not_for_authorized_enterprises_nor_for_never_cancelled_ones(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A, B)
    ready.cancel(ISSUING, B)

    codes = ready.codes(ready.sync(ISSUING, "cancel", A, B, C))

    assert codes == {A: "still_authorized", B: "sync_requested", C: "not_cancelled"}
    first, again = ready.sent(CANCELLED)
    assert first["tax_id"] == again["tax_id"] == B and first["request_id"] != again["request_id"]


def test_a_re_sync_succeeds_once_a_seat_is_free(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    ready.refuse(A, ISSUING)
    ready.sync(ISSUING, "authorize", A)
    ready.grant(A, ISSUING)

    item = ready.license(ISSUING, A)
    assert (item["sync_status"], item["sync_error"], item["valid_to"]) == ("succeeded", None, "2026-12-31")


def test_an_answer_to_an_earlier_request_is_ignored_after_a_re_sync(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    first_request = ready.last_request_id(AUTHORIZED, A)
    ready.sync(ISSUING, "authorize", A)
    ready.grant(A, ISSUING)

    ready.refuse(A, ISSUING, "no_remaining_entitlement", request_id=first_request)

    item = ready.license(ISSUING, A)
    assert (item["sync_status"], item["sync_error"]) == ("succeeded", None)


def test_a_late_grant_after_a_cancellation_does_not_bring_the_seat_back(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    authorize_request = ready.last_request_id(AUTHORIZED, A)
    ready.cancel(ISSUING, A)

    ready.grant(A, ISSUING, request_id=authorize_request)
    ready.release(A, ISSUING, request_id=authorize_request)

    item = ready.license(ISSUING, A)
    assert (item["authorization_status"], item["sync_pending"], item["valid_to"]) == ("unauthorized", True, None)
    assert ready.capabilities(A).json["can_issue"] is False


def test_a_redelivered_answer_is_dropped_by_the_inbox(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    granted = ready.grant(A, ISSUING)
    ready.cancel(ISSUING, A)

    assert ready.deliver(granted) is False
    assert ready.license(ISSUING, A)["authorization_status"] == "unauthorized"


def test_the_same_answer_sent_twice_under_new_event_ids_changes_nothing(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    ready.grant(A, ISSUING, valid_to="2026-06-30")
    before = ready.license(ISSUING, A)

    ready.grant(A, ISSUING, valid_to="2026-06-30")
    ready.release(A, ISSUING, request_id=ready.last_request_id(AUTHORIZED, A))

    assert ready.license(ISSUING, A) == before


def test_an_answer_for_an_unknown_enterprise_is_ignored(ready: LicensingDriver) -> None:
    ready.grant(tax_id(99), ISSUING, request_id="00000000-0000-0000-0000-000000000000")

    assert ready.listing(ISSUING)["authorized"] == 0


def test_syncs_are_audited(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    ready.sync(ISSUING, "authorize", A, B)

    assert [(r.target_id, r.detail["code"]) for r in ready.audit("license.sync_authorize")] == [
        (f"{A}:{ISSUING}", "sync_requested"),
        (f"{B}:{ISSUING}", "not_authorized"),
    ]
