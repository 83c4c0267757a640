"""Product serial numbers per service group and the seed's table of when a sync needs one (LIC-7)."""
from __future__ import annotations

import pytest

from services.licensing.domain.model import LicenseType, serial_number_required
from services.licensing.tests.driver import LicensingDriver, tax_id

ISSUING, RECEIVING = "invoice_issuing", "invoice_receiving"
A = tax_id(1)


@pytest.mark.parametrize(
    ("license_type", "idc", "required"),
    [
        (LicenseType.FORMAL, False, False),
        (LicenseType.FORMAL, True, True),
        (LicenseType.TEMPORARY, False, True),
        (LicenseType.TEMPORARY, True, True),
        (LicenseType.NONE, False, True),
        (LicenseType.NONE, True, True),
    ],
)
def test_the_seed_table_of_when_a_serial_number_is_required(license_type: LicenseType, idc: bool, required: bool) -> None:
    assert serial_number_required(license_type, idc) is required


@pytest.mark.parametrize(("license_type", "idc"), [("formal", True), ("temporary", False), ("none", False)])
def test_a_sync_that_needs_a_serial_number_and_lacks_it_fails_with_that_reason(
    ready: LicensingDriver, license_type: str, idc: bool
) -> None:
    ready.put_erp(license_type, idc)

    [result] = ready.authorize(ISSUING, A).json["results"]

    assert (result["ok"], result["code"], result["sync_status"], result["sync_error"]) == (
        True, "authorized", "failed", "serial_number_required"
    )
    item = ready.license(ISSUING, A)
    assert (item["authorization_status"], item["sync_status"], item["sync_error"]) == ("authorized", "failed", "serial_number_required")
    assert ready.sent("licensing.license.authorized.v1") == []


def test_a_formal_non_idc_license_syncs_without_a_serial_number(ready: LicensingDriver) -> None:
    [result] = ready.authorize(ISSUING, A).json["results"]

    assert result["sync_error"] is None
    assert ready.sent("licensing.license.authorized.v1")[0]["serial_number"] is None


def test_a_temporary_license_without_serial_fails_and_succeeds_after_the_serial_is_set(ready: LicensingDriver) -> None:
    ready.put_erp("temporary")
    ready.authorize(RECEIVING, A)

    assert ready.put_serials(issuing=None, receiving="SN-RECV-1").status_code == 200
    assert ready.codes(ready.sync(RECEIVING, "authorize", A)) == {A: "sync_requested"}

    [sent] = ready.sent("licensing.license.authorized.v1")
    assert (sent["serial_number"], sent["license_type"], sent["idc"]) == ("SN-RECV-1", "temporary", False)
    ready.grant(A, RECEIVING)
    assert ready.license(RECEIVING, A)["sync_status"] == "succeeded"
    assert ready.capabilities(A).json["can_receive"] is True


def test_serial_numbers_are_kept_per_service_group_and_a_blank_one_clears_it(ready: LicensingDriver) -> None:
    assert ready.put_serials(issuing=" SN-ISSUE-1 ", receiving="SN-RECV-1").json == {
        "invoice_issuing": "SN-ISSUE-1",
        "invoice_receiving": "SN-RECV-1",
    }
    assert ready.put_serials(issuing="SN-ISSUE-2", receiving="").json == {"invoice_issuing": "SN-ISSUE-2", "invoice_receiving": None}
    erp = ready.client.get("/licensing/v1/erp-instance", headers=ready.headers).json
    assert erp["serial_numbers"] == {"invoice_issuing": "SN-ISSUE-2", "invoice_receiving": None}

    ready.authorize(ISSUING, A)
    assert ready.sent("licensing.license.authorized.v1")[0]["serial_number"] == "SN-ISSUE-2"


def test_serial_numbers_need_both_groups_named_and_a_bounded_length(lic: LicensingDriver) -> None:
    lic.put_erp()
    missing = lic.client.put("/licensing/v1/serial-numbers", json={"invoice_issuing": "X"}, headers=lic.headers)
    too_long = lic.put_serials(issuing="X" * 65, receiving=None)

    assert missing.status_code == 422 and "invoice_receiving" in missing.json["errors"]
    assert too_long.status_code == 422 and "invoice_issuing" in too_long.json["errors"]
    assert lic.client.get("/licensing/v1/serial-numbers", headers=lic.headers).json == {"invoice_issuing": None, "invoice_receiving": None}


def test_serial_numbers_need_an_erp_instance(lic: LicensingDriver) -> None:
    response = lic.put_serials(issuing="SN", receiving="SN")

    assert response.status_code == 409 and response.json["code"] == "erp_instance_missing"
