"""marketplace's expectations: identity's reseller and dealer organisations and the channel users invited into them;
entitlements' orders delivered for (and activated from) a marketplace sale, which move that sale on."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from services.marketplace.adapters.orm import channel_users, customers, orders, organisations
from tests.contract.consumers import MessageExpectation
from tests.contract.harness import Service
from tests.contract.matchers import each, nullable, one_of, timestamp

KINDS = ("tenant", "reseller", "dealer", "company", "platform")
RESELLER_ORG = {"org_id": "reseller-1", "kind": one_of(*KINDS, example="reseller"), "name": "蓝云测试科技有限公司",
                "parent_id": nullable("reseller-0"), "status": one_of("active", "disabled"),
                "contact_email": nullable("an@reseller.test"), "contact_phone": nullable("13653812334"),
                "external_ref": nullable("reseller_application:app-1")}


def organisation_kept(service: Service, body: dict[str, Any]) -> None:
    assert service.count(organisations, organisations.c.org_id == body["data"]["org_id"]) == 1


def channel_user_kept(service: Service, body: dict[str, Any]) -> None:
    assert service.count(channel_users, channel_users.c.user_id == body["data"]["user_id"]) == 1


MARKETPLACE_ORDER = "m-order-1"
ENTITLEMENT_ORDER = {"tenant_id": "tenant-1", "order_id": "order-1", "order_no": "ORD202601010001",
                     "source": one_of("sales", "marketplace", example="marketplace"), "source_ref": nullable(MARKETPLACE_ORDER)}


def order_being_processed(service: Service) -> None:
    """A paid sale of this marketplace (processing) whose SKUs deliver entitlements."""
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def insert(uow: Any) -> None:
        uow.session.execute(customers.insert().values(
            id="customer-1", reseller_id="reseller-1", name="张三", company="苏州测试科技有限公司", email="buyer@acme.test",
            phone="13800138000", tenant_id="tenant-1", created_at=now, updated_at=now))
        uow.session.execute(orders.insert().values(
            id=MARKETPLACE_ORDER, order_no="MO202601010001", contract_no="HT202601010001", reseller_id="reseller-1",
            buyer_id="user-2", buyer_email="an@reseller.test", customer_id="customer-1",
            customer={"tenant_id": "tenant-1", "company": "苏州测试科技有限公司"}, customer_label="苏州测试科技有限公司",
            status="processing", payment_method="online", payment_status="paid", currency="CNY", subtotal_minor=100,
            coupon_minor=0, rebate_minor=0, total_minor=100, tax_minor=6, accept_contract=True, created_at=now, paid_at=now))

    service.run(insert)


def order_status(expected: str) -> Any:
    def check(service: Service, body: dict[str, Any]) -> None:
        if body["data"]["source"] != "marketplace":
            return
        with service.context.session_factory() as session:
            found = session.execute(select(orders.c.status).where(orders.c.id == body["data"]["source_ref"])).scalar_one()
        assert found == expected, found

    return check


def channel_user_followed(service: Service, body: dict[str, Any]) -> None:
    data = body["data"]
    with service.context.session_factory() as session:
        status = session.execute(select(channel_users.c.status).where(channel_users.c.user_id == data["user_id"])).scalar_one()
    assert status == data["status"], status


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
    MessageExpectation(
        "marketplace", "identity.user.updated.v1", "channel users follow identity: roles, enabled state, last sign-in, deletion",
        "a platform admin disabled the invited admin of a reseller organisation", "user-2",
        {"user_id": "user-2", "org_id": "reseller-1", "org_kind": one_of(*KINDS, example="reseller"), "email": "an@reseller.test",
         "name": nullable("安可"), "phone": nullable("13653812334"), "roles": each("reseller_admin", min=0),
         "status": one_of("invited", "active", "disabled", "deleted", example="disabled"),
         "last_login_at": nullable(timestamp()), "as_of": timestamp()},
        check=channel_user_followed),
    MessageExpectation(
        "marketplace", "entitlements.order.delivered.v1", "a marketplace sale delivered to its customer: delivered",
        "a reseller's paid marketplace order was delivered to its customer's tenant", "order-1", ENTITLEMENT_ORDER,
        prepare=order_being_processed, check=order_status("delivered")),
    MessageExpectation(
        "marketplace", "entitlements.order.activated.v1", "a marketplace sale activated by its customer: completed",
        "the customer's tenant activated the order delivered for a marketplace sale", "order-1", ENTITLEMENT_ORDER,
        prepare=order_being_processed, check=order_status("completed")),
]
