"""Batch authorization (LIC-3, LIC-5): per-tax-ID results, the seed's fields, and the saga request."""
from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.licensing.tests.driver import LicensingDriver, tax_id

ISSUING = "invoice_issuing"
A, B, C, D = (tax_id(n) for n in range(1, 5))
NOT_IMPORTED = tax_id(99)


def test_authorizing_records_date_and_authorizer_and_asks_entitlements_for_a_seat(ready: LicensingDriver) -> None:
    results = ready.results(ready.authorize(ISSUING, A))

    assert results[A]["ok"] is True and results[A]["code"] == "authorized"
    item = ready.license(ISSUING, A)
    assert item["authorization_status"] == "authorized"
    assert item["authorized_at"] == "2026-01-01T00:00:00Z"
    assert (item["authorized_by"], item["authorized_by_name"]) == ("admin-1", "admin@tenant.test")  # the id, the name beside it
    [sent] = ready.sent("licensing.license.authorized.v1")
    assert sent == {
        "tenant_id": "tenant-1",
        "request_id": sent["request_id"],
        "tax_id": A,
        "enterprise_name": item["name"],
        "service_group": ISSUING,
        "serial_number": None,
        "license_type": "formal",
        "idc": False,
        "authorized_by": "admin-1",
    }


def test_a_sync_in_progress_shows_an_empty_sync_status_and_is_flagged_pending(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)

    item = ready.license(ISSUING, A)
    assert item["sync_status"] is None and item["sync_pending"] is True and item["sync_error"] is None
    untouched = ready.license(ISSUING, B)
    assert untouched["sync_status"] is None and untouched["sync_pending"] is False
    assert untouched["authorization_status"] == "unauthorized"


def test_batch_refuses_each_tax_id_with_its_reason_and_the_rest_goes_on(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)

    codes = ready.codes(ready.authorize(ISSUING, A, NOT_IMPORTED, B, C))

    assert codes == {A: "already_authorized", NOT_IMPORTED: "enterprise_not_imported", B: "authorized", C: "authorized"}
    assert [d["tax_id"] for d in ready.sent("licensing.license.authorized.v1")] == [A, B, C]


def test_each_enterprise_is_authorized_once_even_when_named_twice_in_a_batch(ready: LicensingDriver) -> None:
    results = ready.authorize(ISSUING, A, A).json["results"]

    assert [(r["ok"], r["code"]) for r in results] == [(True, "authorized"), (False, "already_authorized")]
    assert len(ready.sent("licensing.license.authorized.v1")) == 1


def test_service_groups_are_authorized_independently(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)

    assert ready.codes(ready.authorize("invoice_receiving", A)) == {A: "authorized"}
    assert ready.license("invoice_receiving", B)["authorization_status"] == "unauthorized"


def test_granted_seat_marks_the_sync_succeeded_with_the_validity_from_entitlements(ready: LicensingDriver) -> None:
    sagas = REGISTRY.get_sample_value("license_saga_seconds_count") or 0.0
    ready.authorize(ISSUING, A)
    ready.grant(A, ISSUING, valid_to="2026-06-30")
    assert REGISTRY.get_sample_value("license_saga_seconds_count") == sagas + 1, "the saga's latency is observed"

    item = ready.license(ISSUING, A)
    assert (item["sync_status"], item["sync_pending"], item["sync_error"]) == ("succeeded", False, None)
    assert (item["valid_from"], item["valid_to"]) == ("2026-01-01", "2026-06-30")


def test_refused_seat_leaves_the_enterprise_authorized_with_a_failed_sync_and_its_reason(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A)
    ready.refuse(A, ISSUING, "no_remaining_entitlement")

    item = ready.license(ISSUING, A)
    assert item["authorization_status"] == "authorized"
    assert (item["sync_status"], item["sync_error"]) == ("failed", "no_remaining_entitlement")
    assert ready.capabilities(A).json["can_issue"] is False


def test_a_over_aa_counts_authorized_enterprises_over_seats_licensed(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A, B)

    listing = ready.listing(ISSUING)
    assert (listing["authorized"], listing["licensed"], listing["total"]) == (2, 2, 4)
    assert set(listing) == {"items", "service_group", "authorized", "licensed", "total", "page", "page_size"}
    receiving = ready.listing("invoice_receiving")
    assert (receiving["authorized"], receiving["licensed"], receiving["total"]) == (0, 2, 4)


def test_the_list_filters_by_status_and_search_and_pages(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A, B)

    authorized = ready.listing(ISSUING, authorization_status="authorized")
    assert [i["tax_id"] for i in authorized["items"]] == [A, B] and authorized["total"] == 2
    assert [i["tax_id"] for i in ready.listing(ISSUING, q=C[-6:])["items"]] == [C]
    second_page = ready.listing(ISSUING, page=2, page_size=3)
    assert [i["tax_id"] for i in second_page["items"]] == [D] and second_page["total"] == 4


def test_every_per_tax_id_outcome_is_audited(ready: LicensingDriver) -> None:
    ready.authorize(ISSUING, A, NOT_IMPORTED)

    audit = ready.audit("license.authorize")
    assert [(row.target_id, row.detail["ok"], row.detail["code"]) for row in audit] == [
        (f"{A}:{ISSUING}", True, "authorized"),
        (f"{NOT_IMPORTED}:{ISSUING}", False, "enterprise_not_imported"),
    ]
    assert audit[0].actor_id == "admin-1" and audit[0].detail["request_id"]


def test_the_same_idempotency_key_replays_the_batch_without_sending_again(ready: LicensingDriver) -> None:
    body = {"service_group": ISSUING, "tax_ids": [A]}
    headers = {**ready.headers, "Idempotency-Key": "batch-1"}
    first = ready.client.post("/licensing/v1/authorizations", json=body, headers=headers)
    again = ready.client.post("/licensing/v1/authorizations", json=body, headers=headers)

    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(ready.sent("licensing.license.authorized.v1")) == 1


@pytest.mark.parametrize(("query", "field"), [
    ({"order_no": "EO1"}, "order_no"),  # not a filter of this list: refused, not "every enterprise"
    ({"authorization_status": "bogus"}, "authorization_status"),
    ({"service_group": "bogus"}, "service_group"),
    ({"page_size": 0}, "page_size"),
])
def test_unknown_parameters_and_bad_filter_values_are_422(ready: LicensingDriver, query: dict, field: str) -> None:
    response = ready.client.get("/licensing/v1/enterprises", query_string={"service_group": ISSUING, **query}, headers=ready.headers)
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_the_authorizer_is_shown_by_name_beside_the_id_as_the_token_names_them(ready: LicensingDriver, tokens) -> None:
    named = tokens.headers(sub="user-7", org_id=ready.tenant_id, username="li@tenant.test", name="李雷")
    unnamed = tokens.headers(sub="user-8", org_id=ready.tenant_id)
    for tax, headers in ((A, named), (B, unnamed)):
        body = {"service_group": ISSUING, "tax_ids": [tax]}
        assert ready.client.post("/licensing/v1/authorizations", json=body, headers=headers).status_code == 200
    assert (ready.license(ISSUING, A)["authorized_by"], ready.license(ISSUING, A)["authorized_by_name"]) == ("user-7", "李雷")
    assert (ready.license(ISSUING, B)["authorized_by"], ready.license(ISSUING, B)["authorized_by_name"]) == ("user-8", None)
