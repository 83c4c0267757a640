"""ENT-8: every approved change request publishes `entitlements.rights.moved.v1` with its transaction, so
licensing's seat totals and authorizations follow; a rejected one publishes nothing."""
from __future__ import annotations

from services.entitlements.tests.portal import USCC
from services.entitlements.tests.unit.test_change_requests_api import NEW_TAX_ID, T1, T2, _review, _submit, _tenant_with_seat

MOVED = "entitlements.rights.moved.v1"


def test_an_enterprise_move_names_the_shrunk_line_and_the_new_transfer_line(portal, client):
    order, _ = _tenant_with_seat(portal)
    request = _submit(portal, T2, kind="enterprise_move", tax_id=USCC[0], reason="企业所属租户有误").json
    _review(portal, request["id"])
    [event] = portal.events(MOVED)
    assert {k: event[k] for k in ("change_request_id", "kind", "from_tenant_id", "to_tenant_id", "tax_id", "old_tax_id",
                                  "new_tax_id")} == {
        "change_request_id": request["id"], "kind": "enterprise_move", "from_tenant_id": T1, "to_tenant_id": T2,
        "tax_id": USCC[0], "old_tax_id": None, "new_tax_id": None}
    old_line = order["lines"][0]
    [shrunk] = [line for line in event["seat_lines"] if line["order_line_id"] == old_line["id"]]
    assert shrunk == {"order_line_id": old_line["id"], "tenant_id": T1, "service_group": "invoice_issuing", "quantity": 2,
                      "valid_from": "2025-12-01", "valid_to": "2026-12-31", "serial_number": "SN-1"}
    [new] = [line for line in event["seat_lines"] if line["order_line_id"] != old_line["id"]]
    assert (new["tenant_id"], new["quantity"], new["service_group"], new["valid_to"]) == (T2, 1, "invoice_issuing", "2026-12-31")
    assert new["serial_number"].startswith("SN-1-T")
    [seat] = client.get("/entitlements/v1/allocations", headers=portal.admin(T2)).json["items"]
    assert seat["order_line_id"] == new["order_line_id"]


def test_a_tax_id_replacement_names_both_tax_ids_and_no_lines(portal):
    _, firm = _tenant_with_seat(portal)
    request = _submit(portal, T1, kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=NEW_TAX_ID, reason="r").json
    _review(portal, request["id"])
    [event] = portal.events(MOVED)
    assert event == {"change_request_id": request["id"], "kind": "tax_id_replacement", "enterprise_id": firm["id"],
                     "from_tenant_id": T1, "to_tenant_id": T1,
                     "tax_id": NEW_TAX_ID, "old_tax_id": USCC[0], "new_tax_id": NEW_TAX_ID, "seat_lines": []}


def test_a_tenant_merge_names_both_tenants_and_no_lines(portal):
    _tenant_with_seat(portal)
    request = _submit(portal, T1, kind="tenant_merge", target_tenant_id=T2, reason="集团合并").json
    _review(portal, request["id"])
    [event] = portal.events(MOVED)
    assert event == {"change_request_id": request["id"], "kind": "tenant_merge", "enterprise_id": None,
                     "from_tenant_id": T1, "to_tenant_id": T2,
                     "tax_id": None, "old_tax_id": None, "new_tax_id": None, "seat_lines": []}


def test_a_rejected_request_or_a_failed_application_publishes_nothing(portal):
    _, firm = _tenant_with_seat(portal)
    rejected = _submit(portal, T1, kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=NEW_TAX_ID, reason="r").json
    _review(portal, rejected["id"], "reject")
    failing = _submit(portal, T1, kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=NEW_TAX_ID, reason="r").json
    portal.enterprise(T1, NEW_TAX_ID)  # the new tax ID is taken meanwhile: applying fails, and the approval with it
    assert _review(portal, failing["id"]).status_code == 409
    assert portal.events(MOVED) == []
