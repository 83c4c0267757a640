"""Codes come with labels people read (issue 19): the whole catalogue at /licensing/v1/labels in zh-CN and en,
and `*_label` beside each code in the answers, in the language Accept-Language asks for (zh-CN by default)."""
from __future__ import annotations

import pytest

from services.licensing.domain.labels import LABELS
from services.licensing.domain.model import AuthorizationStatus, LicenseType, ServiceGroup, SyncAction, SyncStatus
from services.licensing.tests.driver import LicensingDriver, tax_id
from shared.labels import check_catalogue

ISSUING = "invoice_issuing"
A, NOT_IMPORTED = tax_id(1), tax_id(99)


def test_every_code_of_every_enum_has_both_labels():
    assert check_catalogue(LABELS) == []
    for kind, enum in (("authorization_status", AuthorizationStatus), ("sync_status", SyncStatus), ("sync_action", SyncAction),
                       ("service_group", ServiceGroup), ("license_type", LicenseType)):
        assert set(LABELS[kind]) == {member.value for member in enum}, kind


def test_the_catalogue_is_served_in_both_languages(lic: LicensingDriver):
    response = lic.client.get("/licensing/v1/labels", headers=lic.headers)
    assert response.status_code == 200
    assert response.json["languages"] == ["zh-CN", "en"]
    assert response.json["labels"]["sync_error"]["no_remaining_entitlement"]["zh-CN"].startswith("权益数量不足")
    assert response.json["labels"]["authorization_status"]["authorized"] == {"zh-CN": "已授权", "en": "Authorized"}
    assert lic.client.get("/licensing/v1/labels").status_code == 401


@pytest.mark.parametrize(("accept", "status", "error", "group"), [
    (None, "已授权", "权益数量不足，没有可分配的剩余权益", "开票管理"),
    ("zh-CN,zh;q=0.9", "已授权", "权益数量不足，没有可分配的剩余权益", "开票管理"),
    ("en-US,en;q=0.8", "Authorized", "No rights left to allocate", "Invoice issuing"),
    ("fr", "已授权", "权益数量不足，没有可分配的剩余权益", "开票管理"),
])
def test_a_failed_sync_says_why_in_words_in_the_asked_language(ready: LicensingDriver, accept, status, error, group):
    ready.authorize(ISSUING, A)
    ready.refuse(A, ISSUING, "no_remaining_entitlement")
    headers = {**ready.headers, **({"Accept-Language": accept} if accept else {})}
    listing = ready.client.get("/licensing/v1/enterprises", query_string={"service_group": ISSUING}, headers=headers).json
    [item] = [i for i in listing["items"] if i["tax_id"] == A]
    assert (item["sync_error"], item["sync_error_label"]) == ("no_remaining_entitlement", error)
    assert (item["authorization_status_label"], item["service_group_label"]) == (status, group)
    assert item["sync_status_label"] in ("同步失败", "Sync failed")


def test_an_unknown_reason_is_labelled_with_itself_and_batch_results_are_labelled(ready: LicensingDriver):
    ready.authorize(ISSUING, A)
    ready.refuse(A, ISSUING, "registry_unreachable")
    assert ready.license(ISSUING, A)["sync_error_label"] == "registry_unreachable"
    never = ready.license(ISSUING, tax_id(2))
    assert (never["sync_error_label"], never["sync_status_label"], never["authorization_status_label"]) == (None, None, "未授权")
    answer = ready.client.post("/licensing/v1/authorizations", json={"service_group": ISSUING, "tax_ids": [A, NOT_IMPORTED]},
                               headers={**ready.headers, "Accept-Language": "en"})
    labels = {r["tax_id"]: r["code_label"] for r in answer.json["results"]}
    assert labels == {A: "This tax ID is already authorized", NOT_IMPORTED: "This tax ID has not been imported"}
