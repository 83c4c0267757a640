"""The tenant dashboard of seed 000 (ENT-6), its drill-downs, and 数电 info (ENT-10)."""
from __future__ import annotations

from services.entitlements.tests.portal import USCC

T1, T2 = "tenant-1", "tenant-2"


def _tenant_with_everything(portal):
    portal.tenant_known(T1, name="苏州示例有限公司", email="boss@t1.test")
    portal.product("FP-ISSUE")
    portal.product("SMS", kind="traffic", traffic_category="sms")
    order = portal.activated_order(
        T1,
        {"product_code": "FP-ISSUE", "quantity": 3, "valid_to": "2026-01-20", "serial_number": "SN-SOON"},
        {"product_code": "FP-ISSUE", "quantity": 1, "valid_to": "2026-12-31", "serial_number": "SN-LATER"},
        {"product_code": "SMS", "quantity": 100, "valid_to": "2026-12-31", "serial_number": "SN-SMS"},
    )
    firm = portal.enterprise(T1, USCC[0], "杭州示例网络有限公司")
    soon = next(line for line in order["lines"] if line["serial_number"] == "SN-SOON")
    later = next(line for line in order["lines"] if line["serial_number"] == "SN-LATER")
    portal.allocate(T1, soon["id"], [firm["id"]])
    portal.allocate(T1, later["id"], [firm["id"]])
    portal.use(portal.admin(T1), "SMS", USCC[0], 7)
    return order


def test_dashboard_shows_everything_of_the_tenant_in_one_call(portal, client):
    _tenant_with_everything(portal)
    board = client.get("/entitlements/v1/dashboard", headers=portal.admin(T1)).json
    assert board["tenant"]["name"] == "苏州示例有限公司" and board["tenant"]["contact_email"] == "boss@t1.test"
    assert board["admins"] == [{"user_id": f"admin-{T1}", "username": "boss@t1.test"}]
    assert board["unallocated_orders"]["total"] == 1
    assert [line["serial_number"] for line in board["expiring"]["30"]["items"]] == ["SN-SOON"]
    assert board["expiring"]["30"]["items"][0]["days_left"] == 19
    assert board["expiring"]["30"]["items"][0]["enterprise_count"] == 1  # the expiry items name the enterprises affected
    assert board["expiring"]["30"]["items"][0]["enterprises"] == [{"name": "杭州示例网络有限公司", "tax_id": USCC[0]}]
    assert board["expiring"]["90"]["total"] == 1 and board["expiring"]["expired"]["total"] == 0
    [seats] = board["products"]
    assert (seats["product_code"], seats["right_type"], seats["quantity"], seats["allocated"]) == ("FP-ISSUE", "invoice_issuing", 4, 2)
    assert seats["enterprises"]["total"] == 2 and seats["enterprises"]["items"][0]["tax_id"] == USCC[0]
    [sms] = board["traffic"]
    assert (sms["balance"], sms["purchased"], sms["consumed"]) == (93, 100, 7)
    assert sms["deduction_rule"] == {"units_per_use": 1} and sms["consumption"]["items"][0]["units"] == 7
    assert board["digital_invoice"] is None


def test_dashboard_shows_nothing_of_other_tenants(portal, client):
    _tenant_with_everything(portal)
    portal.tenant_known(T2, name="别人的有限公司")
    board = client.get("/entitlements/v1/dashboard", headers=portal.admin(T2)).json
    assert board["tenant"]["name"] == "别人的有限公司"
    assert board["unallocated_orders"]["total"] == 0 and board["products"] == [] and board["traffic"] == []
    assert all(window["total"] == 0 for window in board["expiring"].values())
    assert "SN-SOON" not in str(board) and USCC[0] not in str(board)


def test_expired_lines_and_drill_downs(portal, client, clock):
    _tenant_with_everything(portal)
    clock.advance(days=25)
    expired = client.get("/entitlements/v1/expiring-lines?window=expired", headers=portal.admin(T1)).json
    assert [line["serial_number"] for line in expired["items"]] == ["SN-SOON"]
    assert expired["items"][0]["enterprises"] == [{"name": "杭州示例网络有限公司", "tax_id": USCC[0]}]
    within = client.get("/entitlements/v1/expiring-lines?window=90&page_size=1", headers=portal.admin(T1)).json
    assert within["total"] == 0
    orders = client.get("/entitlements/v1/orders?unallocated=true", headers=portal.admin(T1)).json
    assert orders["total"] == 0  # the only line with free seats has expired
    assert client.get("/entitlements/v1/expiring-lines?window=45", headers=portal.admin(T1)).status_code == 422


def test_dashboard_is_for_tenant_admins(portal, client):
    assert client.get("/entitlements/v1/dashboard").status_code == 401
    assert client.get("/entitlements/v1/dashboard", headers=portal.api_client(T1, USCC[0])).status_code == 403
    must_change = portal.tokens.headers(org_id=T1, roles=("tenant_admin",), pwd_change=True)
    assert client.get("/entitlements/v1/dashboard", headers=must_change).json["code"] == "password_change_required"


def test_digital_invoice_info_is_issued_renewed_only_when_expired_with_a_real_png(portal, client, clock):
    portal.tenant_known(T1)
    assert client.get("/entitlements/v1/digital-invoice-info", headers=portal.admin(T1)).status_code == 404
    issued = client.post("/entitlements/v1/digital-invoice-info", headers=portal.admin(T1))
    assert issued.status_code == 201 and issued.json["valid_to"] == "2026-12-31" and not issued.json["expired"]
    still_valid = client.post("/entitlements/v1/digital-invoice-info", headers=portal.admin(T1))
    assert still_valid.status_code == 409 and still_valid.json["code"] == "digital_invoice_info_still_valid"
    png = client.get("/entitlements/v1/digital-invoice-info/qr.png", headers=portal.admin(T1))
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    clock.advance(days=366)
    assert client.get("/entitlements/v1/digital-invoice-info", headers=portal.admin(T1)).json["expired"] is True
    renewed = client.post("/entitlements/v1/digital-invoice-info", headers=portal.admin(T1))
    assert renewed.status_code == 201 and renewed.json["activation_code"] != issued.json["activation_code"]
    assert client.get("/entitlements/v1/dashboard", headers=portal.admin(T1)).json["digital_invoice"]["activation_code"] == \
        renewed.json["activation_code"]
    assert client.get("/entitlements/v1/digital-invoice-info", headers=portal.admin(T2)).status_code == 404
