"""Codes people read come with labels in zh-CN and en, served by the API (issue 19)."""
from __future__ import annotations

from services.entitlements.domain import change_requests, orders, seats
from services.entitlements.domain.labels import LABELS
from shared.labels import check_catalogue


def test_every_code_people_read_has_both_labels():
    assert check_catalogue(LABELS) == []
    for kind, codes in (("erp", orders.ERPS), ("deployment", orders.DEPLOYMENTS), ("order_source", orders.SOURCES),
                        ("product_kind", orders.PRODUCT_KINDS), ("service_group", orders.SERVICE_GROUPS),
                        ("traffic_category", orders.TRAFFIC_CATEGORIES), ("change_request_kind", change_requests.KINDS),
                        ("change_request_status", (change_requests.PENDING, change_requests.APPROVED, change_requests.REJECTED)),
                        ("seat_refusal", (seats.NO_REMAINING_ENTITLEMENT, seats.SERIAL_NUMBER_REQUIRED, seats.UNKNOWN_SERIAL_NUMBER,
                                          seats.ENTERPRISE_OF_OTHER_TENANT))):
        assert set(LABELS[kind]) == set(codes), kind


def test_the_catalogue_is_served_to_signed_in_users(portal, client):
    answer = client.get("/entitlements/v1/labels", headers=portal.admin("tenant-1"))
    assert answer.status_code == 200 and answer.json["languages"] == ["zh-CN", "en"]
    assert answer.json["labels"]["erp"]["galaxy"] == {"zh-CN": "星空", "en": "Galaxy (星空)"}
    assert answer.json["labels"]["order_status"]["delivered"]["zh-CN"] == "待激活"
    assert client.get("/entitlements/v1/labels").status_code == 401
