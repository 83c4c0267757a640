"""Change requests (ENT-8): submitted by the tenant, reviewed by platform staff, rights moved without loss, audited."""
from __future__ import annotations

from sqlalchemy import select

from services.entitlements.adapters.orm import change_requests, platform
from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"
NEW_TAX_ID = "330100716105852"


def _tenant_with_seat(portal):
    portal.tenant_known(T1, name="苏州甲有限公司")
    portal.tenant_known(T2, name="上海乙有限公司")
    portal.product("FP-ISSUE")
    order = portal.activated_order(T1, {"product_code": "FP-ISSUE", "quantity": 3, "serial_number": "SN-1"})
    firm = portal.enterprise(T1, USCC[0])
    assert portal.allocate(T1, order["lines"][0]["id"], [firm["id"]]).status_code == 201
    return order, firm


def _submit(portal, tenant, **body):
    return portal.client.post("/entitlements/v1/change-requests", json=body, headers=portal.admin(tenant))


def _review(portal, request_id, decision="approve"):
    return portal.client.post(f"/entitlements/v1/change-requests/{request_id}/review", json={"decision": decision, "comment": "ok"},
                              headers=portal.staff("support"))


def _audit_actions(portal):
    with portal.context.session_factory() as session:
        return list(session.execute(select(platform.audit_log.c.action).order_by(platform.audit_log.c.id)).scalars())


def test_tax_id_replacement_keeps_the_seat_and_is_chargeable_for_invoicing_rights(portal, client):
    _, firm = _tenant_with_seat(portal)
    submitted = _submit(portal, T1, kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=NEW_TAX_ID,
                        reason="税号填写错误")
    assert submitted.status_code == 201 and submitted.json["chargeable"] is True and submitted.json["status"] == "pending"
    approved = _review(portal, submitted.json["id"])
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert approved.json["outcome"]["new_tax_id"] == NEW_TAX_ID
    [seat] = client.get("/entitlements/v1/allocations", headers=portal.admin(T1)).json["items"]
    assert seat["tax_id"] == NEW_TAX_ID and seat["enterprise_id"] == firm["id"]
    actions = _audit_actions(portal)
    assert actions[-3:] == ["change_request.submitted", "change_request.approved", "change_request.applied"]


def test_a_reviewed_request_cannot_be_reviewed_again(portal):
    _, firm = _tenant_with_seat(portal)
    request = _submit(portal, T1, kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=NEW_TAX_ID, reason="r").json
    assert _review(portal, request["id"], "reject").json["status"] == "rejected"
    again = _review(portal, request["id"])
    assert again.status_code == 409 and again.json["code"] == "change_request_already_reviewed"


def test_enterprise_move_carries_its_seats_to_the_new_tenant(portal, client):
    order, firm = _tenant_with_seat(portal)
    blocked = client.post("/entitlements/v1/enterprises", json={"name": "x", "tax_id": USCC[0]}, headers=portal.admin(T2))
    assert blocked.json["tenant_name"] == "苏州XXXX有限公司"
    request = _submit(portal, T2, kind="enterprise_move", tax_id=USCC[0], reason="企业所属租户有误").json
    assert request["details"]["from_tenant_id"] == T1
    outcome = _review(portal, request["id"]).json["outcome"]
    assert outcome["seats_moved"] == 1
    assert client.get(f"/entitlements/v1/enterprises/{firm['id']}", headers=portal.admin(T1)).status_code == 404
    [seat] = client.get("/entitlements/v1/allocations", headers=portal.admin(T2)).json["items"]
    assert seat["tax_id"] == USCC[0] and seat["serial_number"].startswith("SN-1-T")
    source_line = client.get(f"/entitlements/v1/orders/{order['id']}", headers=portal.admin(T1)).json["lines"][0]
    assert (source_line["quantity"], source_line["allocated"]) == (2, 0)
    assert client.get("/entitlements/v1/allocations", headers=portal.admin(T1)).json["total"] == 0


def test_tenant_merge_moves_everything(portal, client):
    order, firm = _tenant_with_seat(portal)
    request = _submit(portal, T1, kind="tenant_merge", target_tenant_id=T2, reason="集团合并").json
    _review(portal, request["id"])
    assert client.get(f"/entitlements/v1/orders/{order['id']}", headers=portal.admin(T2)).status_code == 200
    assert client.get(f"/entitlements/v1/enterprises/{firm['id']}", headers=portal.admin(T2)).status_code == 200
    assert client.get("/entitlements/v1/allocations", headers=portal.admin(T2)).json["total"] == 1
    assert client.get("/entitlements/v1/orders", headers=portal.admin(T1)).json["total"] == 0


def test_bad_requests_are_4xx_and_store_nothing(portal):
    _, firm = _tenant_with_seat(portal)
    cases = [
        ({"kind": "tax_id_replacement", "enterprise_id": firm["id"], "new_tax_id": USCC[0][:17] + "A", "reason": "r"}, 422),
        ({"kind": "tax_id_replacement", "enterprise_id": "nope", "new_tax_id": NEW_TAX_ID, "reason": "r"}, 422),
        ({"kind": "tax_id_replacement", "enterprise_id": firm["id"], "new_tax_id": USCC[0], "reason": "r"}, 409),
        ({"kind": "enterprise_move", "tax_id": USCC[1], "reason": "r"}, 422),
        ({"kind": "tenant_merge", "target_tenant_id": "unknown", "reason": "r"}, 422),
        ({"kind": "rename", "reason": "r"}, 422),
        ({"kind": "tenant_merge", "target_tenant_id": T2}, 422),
    ]
    for body, status in cases:
        assert _submit(portal, T1, **body).status_code == status, body
    assert portal.count(change_requests) == 0


def test_only_platform_staff_review_and_tenants_see_only_their_requests(portal, client):
    _, firm = _tenant_with_seat(portal)
    request = _submit(portal, T1, kind="tax_id_replacement", enterprise_id=firm["id"], new_tax_id=NEW_TAX_ID, reason="r").json
    forbidden = client.post(f"/entitlements/v1/change-requests/{request['id']}/review", json={"decision": "approve"},
                            headers=portal.admin(T1))
    assert forbidden.status_code == 403
    assert client.get(f"/entitlements/v1/change-requests/{request['id']}", headers=portal.admin(T2)).status_code == 404
    assert client.get("/entitlements/v1/change-requests?status=pending", headers=portal.staff("support")).json["total"] == 1
