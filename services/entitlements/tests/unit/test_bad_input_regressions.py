"""Regressions found by the suite's bad-input proof (tests/security/test_bad_input.py)."""
from __future__ import annotations

import pytest

from services.entitlements.tests.portal import USCC


@pytest.mark.parametrize("odd", [1.5, "3", True])
def test_quantities_and_units_must_be_json_integers_not_truncated_or_coerced(portal, client, odd):
    portal.tenant_known("tenant-1")
    portal.product("FP-ISSUE")
    portal.product("SMS", kind="traffic", traffic_category="sms")
    order = client.post("/entitlements/v1/orders", headers=portal.staff(), json={"tenant_id": "tenant-1", "lines": [
        {"product_code": "FP-ISSUE", "quantity": odd, "valid_from": "2025-12-01", "valid_to": "2026-12-31"}]})
    assert order.status_code == 422 and "lines.0.quantity" in order.json["errors"]
    portal.activated_order("tenant-1", {"product_code": "SMS", "quantity": 100})
    portal.enterprise("tenant-1", USCC[0])
    used = portal.use(portal.admin("tenant-1"), "SMS", USCC[0], odd)
    assert used.status_code == 422 and "units" in used.json["errors"]
    product = client.post("/entitlements/v1/products", headers=portal.staff("platform_admin"),
                          json={"code": "OCR", "name": "OCR", "kind": "traffic", "traffic_category": "ocr", "units_per_use": odd})
    assert product.status_code == 422 and "units_per_use" in product.json["errors"]
