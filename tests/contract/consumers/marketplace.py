"""marketplace's expectations: identity's reseller and dealer organisations and the channel users invited into them."""
from __future__ import annotations

from typing import Any

from services.marketplace.adapters.orm import channel_users, organisations
from tests.contract.consumers import MessageExpectation
from tests.contract.harness import Service
from tests.contract.matchers import each, nullable, one_of

KINDS = ("tenant", "reseller", "dealer", "company", "platform")
RESELLER_ORG = {"org_id": "reseller-1", "kind": one_of(*KINDS, example="reseller"), "name": "蓝云测试科技有限公司",
                "parent_id": nullable("reseller-0"), "status": one_of("active", "disabled"),
                "contact_email": nullable("an@reseller.test"), "contact_phone": nullable("13653812334"),
                "external_ref": nullable("reseller_application:app-1")}


def organisation_kept(service: Service, body: dict[str, Any]) -> None:
    assert service.count(organisations, organisations.c.org_id == body["data"]["org_id"]) == 1


def channel_user_kept(service: Service, body: dict[str, Any]) -> None:
    assert service.count(channel_users, channel_users.c.user_id == body["data"]["user_id"]) == 1


EXPECTATIONS = [
    MessageExpectation(
        "marketplace", "identity.organisation.created.v1", "the reseller read model; opens the approved application's profile",
        "identity created the organisation of an approved reseller application and invited its admin", "reseller-1",
        RESELLER_ORG, check=organisation_kept),
    MessageExpectation(
        "marketplace", "identity.organisation.updated.v1", "the reseller read model",
        "a platform admin renamed a reseller organisation", "reseller-1", RESELLER_ORG, check=organisation_kept),
    MessageExpectation(
        "marketplace", "identity.user.invited.v1", "the channel users of reseller and dealer organisations",
        "identity created the organisation of an approved reseller application and invited its admin", "user-2",
        {"user_id": "user-2", "org_id": "reseller-1", "org_kind": one_of(*KINDS, example="reseller"), "email": "an@reseller.test",
         "name": nullable("安可"), "roles": each("reseller_admin")},
        check=channel_user_kept),
]
