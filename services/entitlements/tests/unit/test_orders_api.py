"""Products, order delivery with its operation key, resend and activation (ENT-1 … ENT-3)."""
from __future__ import annotations

from services.entitlements.adapters.orm import order_lines, orders, products

T1, T2 = "tenant-1", "tenant-2"


def test_product_needs_platform_staff_and_a_service_group_for_seats(portal, client):
    body = {"code": "FP-ISSUE", "name": "开票", "kind": "seat", "service_group": "invoice_issuing"}
    assert client.post("/entitlements/v1/products", json=body).status_code == 401
    assert client.post("/entitlements/v1/products", json=body, headers=portal.admin(T1)).status_code == 403
    missing = client.post("/entitlements/v1/products", json={**body, "service_group": None}, headers=portal.staff("platform_admin"))
    assert missing.status_code == 422 and "service_group" in missing.json["errors"]
    created = client.post("/entitlements/v1/products", json=body, headers=portal.staff("platform_admin"))
    assert created.status_code == 201 and created.json["units_per_use"] == 1
    again = client.post("/entitlements/v1/products", json=body, headers=portal.staff("platform_admin"))
    assert again.status_code == 409 and again.json["code"] == "product_exists"
    listed = client.get("/entitlements/v1/products?kind=seat", headers=portal.admin(T1)).json
    assert [p["code"] for p in listed["items"]] == ["FP-ISSUE"] and listed["total"] == 1


def test_traffic_product_keeps_its_deduction_rule(portal):
    product = portal.product("OCR", kind="traffic", traffic_category="ocr", units_per_use=2)
    assert product["service_group"] is None and product["units_per_use"] == 2


def test_delivery_to_an_unknown_tenant_is_422_and_records_nothing(portal, client):
    portal.product("FP-ISSUE")
    response = client.post("/entitlements/v1/orders", headers=portal.staff(), json={
        "tenant_id": "nobody", "lines": [{"product_code": "FP-ISSUE", "quantity": 1, "valid_from": "2026-01-01",
                                          "valid_to": "2026-12-31"}]})
    assert response.status_code == 422 and response.json["code"] == "unknown_tenant"
    assert portal.count(orders) == 0


def test_delivery_mails_a_key_that_is_stored_only_hashed(portal):
    portal.tenant_known(T1, email="boss@t1.test")
    portal.product("FP-ISSUE")
    order = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 3, "serial_number": "SN-1"})
    assert order["status"] == "delivered" and order["order_no"].startswith("EO")
    assert order["lines"][0]["serial_number"] == "SN-1" and order["lines"][0]["unallocated"] == 3
    [event] = portal.events("entitlements.order.delivered.v1")
    assert event["recipient"]["email"] == "boss@t1.test"
    assert event["activation_url"].startswith("https://portal.test/activate")
    assert event["lines"][0]["id"] == order["lines"][0]["id"] and event["resent"] is False
    key = event["operation_key"]
    with portal.context.session_factory() as session:
        stored = session.execute(orders.select()).all()
        from services.entitlements.adapters.orm import operation_keys

        [row] = session.execute(operation_keys.select()).all()
    assert key not in row.key_hash and len(row.key_hash) == 64 and stored


def test_bad_order_lines_are_422_with_field_errors_and_record_nothing(portal, client):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    for line, field in [
        ({"product_code": "NOPE", "quantity": 1, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}, "lines.0.product_code"),
        ({"product_code": "FP-ISSUE", "quantity": 1, "valid_from": "2026-12-31", "valid_to": "2026-01-01"}, "lines.0.valid_to"),
        ({"product_code": "FP-ISSUE", "quantity": 0, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}, "lines.0.quantity"),
        ({"product_code": "FP-ISSUE", "quantity": 10**12, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}, "lines.0.quantity"),
        ({"product_code": "FP-ISSUE", "quantity": 1, "valid_from": "yesterday", "valid_to": "2026-12-31"}, "lines.0.valid_from"),
    ]:
        response = client.post("/entitlements/v1/orders", headers=portal.staff(), json={"tenant_id": T1, "lines": [line]})
        assert response.status_code == 422, response.json
        assert field in response.json["errors"], response.json
    assert portal.count(orders) == 0 and portal.count(order_lines) == 0


def test_only_sales_and_platform_admins_deliver(portal, client):
    portal.tenant_known(T1)
    body = {"tenant_id": T1, "lines": [{"product_code": "X", "quantity": 1, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}]}
    assert client.post("/entitlements/v1/orders", json=body, headers=portal.staff("finance")).status_code == 403
    assert client.post("/entitlements/v1/orders", json=body, headers=portal.admin(T1)).status_code == 403


def test_activation_uses_the_key_once_and_activates_every_line(portal, client):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    order = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2})
    key = portal.operation_key(order["id"])
    body = {"operation_key": key, "erp": "cosmic", "deployment": "private_cloud"}
    activated = client.post("/entitlements/v1/orders/activate", json=body, headers=portal.admin(T1))
    assert activated.status_code == 200
    assert activated.json["status"] == "activated" and activated.json["erp"] == "cosmic"
    assert all(line["activated"] for line in activated.json["lines"])
    reused = client.post("/entitlements/v1/orders/activate", json=body, headers=portal.admin(T1))
    assert reused.status_code == 422 and reused.json["code"] == "operation_key_used"
    assert "operation_key" in reused.json["errors"]


def test_activation_rejects_unknown_keys_bad_choices_and_other_tenants(portal, client):
    portal.tenant_known(T1)
    portal.tenant_known(T2)
    portal.product("FP-ISSUE")
    order = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2})
    key = portal.operation_key(order["id"])
    unknown = client.post("/entitlements/v1/orders/activate", headers=portal.admin(T1),
                          json={"operation_key": "guess", "erp": "eas", "deployment": "public_cloud"})
    assert unknown.status_code == 422 and unknown.json["code"] == "invalid_operation_key"
    bad_erp = client.post("/entitlements/v1/orders/activate", headers=portal.admin(T1),
                          json={"operation_key": key, "erp": "sap", "deployment": "public_cloud"})
    assert bad_erp.status_code == 422 and "erp" in bad_erp.json["errors"]
    foreign = client.post("/entitlements/v1/orders/activate", headers=portal.admin(T2),
                          json={"operation_key": key, "erp": "eas", "deployment": "public_cloud"})
    assert foreign.status_code == 422
    assert client.get(f"/entitlements/v1/orders/{order['id']}", headers=portal.admin(T1)).json["status"] == "delivered"


def test_resend_replaces_the_key(portal, client):
    portal.tenant_known(T1)
    portal.product("FP-ISSUE")
    order = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2})
    old_key = portal.operation_key(order["id"])
    resent = client.post(f"/entitlements/v1/orders/{order['id']}/resend-activation", headers=portal.staff("support"))
    assert resent.status_code == 200
    new_key = portal.operation_key(order["id"])
    assert new_key != old_key and portal.events("entitlements.order.delivered.v1")[-1]["resent"] is True
    old = client.post("/entitlements/v1/orders/activate", headers=portal.admin(T1),
                      json={"operation_key": old_key, "erp": "eas", "deployment": "public_cloud"})
    assert old.status_code == 422 and old.json["code"] == "operation_key_replaced"
    portal.activate(T1, order)
    after = client.post(f"/entitlements/v1/orders/{order['id']}/resend-activation", headers=portal.staff("support"))
    assert after.status_code == 409 and after.json["code"] == "order_already_activated"


def test_orders_of_another_tenant_are_not_found(portal, client):
    portal.tenant_known(T1)
    portal.tenant_known(T2)
    portal.product("FP-ISSUE")
    order = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 2})
    assert client.get(f"/entitlements/v1/orders/{order['id']}", headers=portal.admin(T2)).status_code == 404
    assert client.get("/entitlements/v1/orders", headers=portal.admin(T2)).json["total"] == 0
    assert client.get("/entitlements/v1/orders", headers=portal.admin(T1)).json["total"] == 1
    assert client.get(f"/entitlements/v1/orders?tenant_id={T1}", headers=portal.staff()).json["total"] == 1


def test_products_table_is_untouched_by_a_refused_product(portal, client):
    response = client.post("/entitlements/v1/products", headers=portal.staff("platform_admin"),
                           json={"code": "x" * 65, "name": "n", "kind": "traffic"})
    assert response.status_code == 422 and portal.count(products) == 0


def test_an_order_is_found_by_its_number_within_what_the_caller_may_see(portal, client):
    portal.tenant_known(T1)
    portal.tenant_known(T2)
    portal.product("FP-ISSUE")
    mine = portal.deliver(T1, {"product_code": "FP-ISSUE", "quantity": 1})
    theirs = portal.deliver(T2, {"product_code": "FP-ISSUE", "quantity": 1})

    found = client.get(f"/entitlements/v1/orders?order_no={mine['order_no']}", headers=portal.admin(T1)).json
    hidden = client.get(f"/entitlements/v1/orders?order_no={theirs['order_no']}", headers=portal.admin(T1)).json
    staff = client.get(f"/entitlements/v1/orders?order_no={theirs['order_no']}", headers=portal.staff("support")).json
    too_long = client.get("/entitlements/v1/orders?order_no=" + "9" * 65, headers=portal.staff("support"))

    assert [o["id"] for o in found["items"]] == [mine["id"]] and found["total"] == 1
    assert hidden["items"] == [] and hidden["total"] == 0
    assert [o["id"] for o in staff["items"]] == [theirs["id"]]
    assert too_long.status_code == 422 and "order_no" in too_long.json["errors"]
