"""marketplace as a producer: reseller onboarding, paid orders, credit, tickets and trials."""
from __future__ import annotations

import io
from typing import Any

from shared.envelope import new_event
from tests.contract.harness import Service
from tests.contract.providers import State, ok

RESELLER = "reseller-a"
PDF = b"%PDF-1.4\n%contract\n" + b"0" * 64
APPLICATION = {"company": "蓝云测试科技有限公司", "business_owner": "赵益康", "contact_name": "安可", "email": "an@reseller.test",
               "phone": "13653812334", "position": "经理", "address": "上海市虹口区"}


def staff(service: Service, *roles: str) -> dict[str, str]:
    return service.headers(sub="staff-1", org_id="platform", org_kind="platform", roles=roles or ("platform_admin",))


def reseller_admin(service: Service) -> dict[str, str]:
    return service.headers(sub="ra-admin", org_id=RESELLER, org_kind="reseller", roles=("reseller_admin",), email="admin@a.test")


def known_tenant(service: Service, tenant_id: str) -> None:
    """marketplace learnt of the customer's tenant from identity."""
    service.handle(new_event("identity", "identity.organisation.created.v1", tenant_id, {
        "org_id": tenant_id, "kind": "tenant", "name": "甲公司", "parent_id": None, "status": "active",
        "contact_email": "wang@customer.test", "contact_phone": None, "external_ref": None,
    }).to_dict())


def known_reseller(service: Service) -> None:
    """marketplace learnt of the reseller organisation from identity."""
    service.handle(new_event("identity", "identity.organisation.created.v1", RESELLER, {
        "org_id": RESELLER, "kind": "reseller", "name": "蓝云测试科技有限公司", "parent_id": None, "status": "active",
        "contact_email": "contact@reseller-a.test", "contact_phone": "13800000000", "external_ref": None,
    }).to_dict())


def reviewed_application(decision: str) -> State:
    def review(service: Service) -> None:
        form = {**APPLICATION, "files": [(io.BytesIO(PDF), "licence.pdf")]}
        application = ok(service.client().post("/marketplace/v1/reseller-applications", data=form,
                                               content_type="multipart/form-data"), 201)
        body = {"decision": decision, "comment": "营业执照不清晰" if decision == "reject" else "资质齐全", "tier": "silver"}
        if decision == "reject":
            body.pop("tier")
        ok(service.client().post(f"/marketplace/v1/reseller-applications/{application['id']}/review", json=body,
                                 headers=staff(service, "sales")))

    return review


def published_solution(service: Service) -> dict[str, Any]:
    body = {"name": "智能票据识别", "category": "backup_migration", "summary": "票据识别与入账",
            "skus": [{"code": "SKU-A", "name": "基础版", "price_minor": 10700, "currency": "CNY", "region": "中国大陆"}],
            "entitlements": [{"product_code": "INV-ISSUE", "quantity": 2, "months": 12}]}
    return ok(service.client().post("/marketplace/v1/solutions", json=body, headers=staff(service)), 201)


def awaiting_online_payment(service: Service) -> dict[str, Any]:
    """A reseller's order of one SKU (10700 CNY) for a customer's tenant, its online payment started; answers it."""
    known_reseller(service)
    published_solution(service)
    known_tenant(service, "tenant-9")
    client, headers = service.client(), reseller_admin(service)
    buyer = {"name": "王五", "company": "甲公司", "email": "wang@customer.test", "phone": "13900000000", "tenant_id": "tenant-9"}
    customer = ok(client.post("/marketplace/v1/customers", json=buyer, headers=headers), 201)
    checkout = {"items": [{"sku_code": "SKU-A", "quantity": 1}], "customer_id": customer["id"], "payment_method": "online",
                "accept_contract": True}
    order = ok(client.post("/marketplace/v1/checkout", json=checkout, headers=headers), 201)
    return ok(client.post(f"/marketplace/v1/orders/{order['id']}/payments", json={"method": "online"}, headers=headers), 201)


def order_paid_online(service: Service) -> None:
    started = awaiting_online_payment(service)
    paid = ok(service.client().post(f"/marketplace/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    assert paid["callback"] == "queued", paid
    assert service.deliver_sandbox_callbacks() == [200]


def second_payment_refunded(service: Service) -> None:
    """One order paid twice online: the second payment is refund_due, and finance refunds it through the provider."""
    first = awaiting_online_payment(service)
    headers = reseller_admin(service)
    order = ok(service.client().get("/marketplace/v1/orders", headers=headers))["items"][0]
    second = ok(service.client().post(f"/marketplace/v1/orders/{order['id']}/payments", json={"method": "online"}, headers=headers), 201)
    for started in (first, second):
        ok(service.client().post(f"/marketplace/v1/sandbox/pay/{started['payment_id']}", json={"outcome": "success"}), 202)
    assert service.deliver_sandbox_callbacks() == [200, 200]
    ok(service.client().post(f"/marketplace/v1/payments/{second['payment_id']}/refund", json={"reason": "同一订单重复付款"},
                             headers=staff(service, "finance")), 201)


def credit_line_granted(service: Service) -> None:
    known_reseller(service)
    ok(service.client().put(f"/marketplace/v1/resellers/{RESELLER}/credit-line", json={"limit_minor": 1000, "term_days": 30},
                            headers=staff(service, "finance")))


def credit_code_requested(service: Service) -> None:
    credit_line_granted(service)
    ok(service.client().post("/marketplace/v1/credit/codes", headers=reseller_admin(service)), 201)


def ticket_opened(service: Service) -> None:
    ticket = {"service_type": "技术咨询", "category": "迁移", "subject": "迁移 180 台服务器", "details": "周末两天内完成迁移可以吗？",
              "name": "安可", "phone": "13653812334", "email": "an@reseller.test", "company": "蓝云"}
    ok(service.client().post("/marketplace/v1/tickets", json=ticket), 201)


def trial_requested(service: Service) -> None:
    solution = published_solution(service)
    body = {"name": "安可", "email": "an@reseller.test", "phone": "13653812334", "company": "蓝云", "remark": "请尽快"}
    ok(service.client().post(f"/marketplace/v1/solutions/{solution['id']}/trials", json=body), 201)


def credit_used_offline(service: Service) -> None:
    credit_line_granted(service)
    ok(service.client().post(f"/marketplace/v1/resellers/{RESELLER}/credit/offline-uses", headers=staff(service, "finance"),
                             json={"amount_minor": 400, "reference": "线下采购 #7"}), 201)


def dealer_status_changed(status: str) -> State:
    def change(service: Service) -> None:
        """A reseller admin's dealer, linked to its identity organisation, is disabled (then enabled again)."""
        known_reseller(service)
        dealer = ok(service.client().post("/marketplace/v1/dealers", json={"name": "经销商甲"}, headers=reseller_admin(service)), 201)
        service.handle(new_event("identity", "identity.organisation.created.v1", "dealer-org-1", {
            "org_id": "dealer-org-1", "kind": "dealer", "name": "经销商甲", "parent_id": RESELLER, "status": "active",
            "contact_email": None, "contact_phone": None, "external_ref": f"dealer:{dealer['id']}",
        }).to_dict())
        for step in ("disable", "enable")[: 1 if status == "disabled" else 2]:
            ok(service.client().post(f"/marketplace/v1/dealers/{dealer['id']}/{step}", headers=reseller_admin(service)))

    return change


STATES: dict[str, State] = {
    "platform staff approved a reseller application at tier silver": reviewed_application("approve"),
    "platform staff rejected a reseller application": reviewed_application("reject"),
    "a reseller paid online for a customer's order": order_paid_online,
    "a reseller admin with a credit line asked for a credit verification code": credit_code_requested,
    "a visitor opened a consultation ticket": ticket_opened,
    "a visitor asked for a trial of a published solution": trial_requested,
    "finance recorded an offline use of a reseller's credit line": credit_used_offline,
    "finance refunded the second successful payment of a reseller's order": second_payment_refunded,
    "a reseller admin disabled a dealer linked to its identity organisation": dealer_status_changed("disabled"),
    "a reseller admin enabled a disabled dealer again": dealer_status_changed("enabled"),
}
