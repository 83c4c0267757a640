"""billing as a producer: payments, top-ups, renewals and device expiry reminders of customer companies."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.billing.service_layer import jobs
from shared.envelope import new_event
from tests.contract.harness import Service
from tests.contract.providers import State, ok

COMPANY = "company-acme"
DEVICE = "POS-0001"


def staff(service: Service, role: str) -> dict[str, str]:
    return service.headers(sub=f"{role}-1", org_id="platform", org_kind="platform", roles=(role,))


def customer(service: Service, company_id: str = COMPANY) -> dict[str, str]:
    return service.headers(sub=f"customer-of-{company_id}", org_id=company_id, org_kind="company", roles=("customer",))


def company_wanting_notices(service: Service) -> None:
    """billing knows the company (from identity) and its account config asks for mailed notices."""
    service.handle(new_event("identity", "identity.organisation.created.v1", COMPANY, {
        "org_id": COMPANY, "kind": "company", "name": "ACME 集团", "parent_id": None, "status": "active",
        "contact_email": "finance@acme.test", "contact_phone": None, "external_ref": None,
    }).to_dict())
    config = {"billing_cycle": "monthly", "auto_renew": False, "notify": True, "language": "zh-CN", "emails": ["finance@acme.test"]}
    ok(service.client().put("/billing/v1/account-config", json=config, headers=customer(service)))


def device_with_package(service: Service, expires_on: str = "2026-02-01") -> None:
    client, support = service.client(), staff(service, "support")
    ok(client.post("/billing/v1/package-categories", json={"code": "RENEW", "name": "续费套餐", "type": "renewal"}, headers=support), 201)
    package = {"code": "RN-M", "name": "月度续费", "category_code": "RENEW", "price_minor": 1000, "currency": "CNY", "pricing": "per_month"}
    ok(client.post("/billing/v1/packages", json=package, headers=support), 201)
    device = {"device_id": DEVICE, "company_id": COMPANY, "type": "POS", "expires_on": expires_on, "package_code": "RN-M"}
    ok(client.post("/billing/v1/devices", json=device, headers=support), 201)


def offline_top_up(service: Service, amount_minor: int = 10000) -> dict[str, Any]:
    client, sales = service.client(), staff(service, "sales")
    body = {"company_id": COMPANY, "payer": "付款人", "currency": "CNY", "amount_minor": amount_minor, "reference": "BANK-1"}
    topup = ok(client.post("/billing/v1/offline-topups", json=body, headers=sales), 201)
    submitted = ok(client.post(f"/billing/v1/offline-topups/{topup['id']}/submit", headers=sales))
    review = {"decision": "approve", "comment": "已核对银行流水", "version": submitted["version"]}
    return ok(client.post(f"/billing/v1/offline-topups/{topup['id']}/review", json=review, headers=staff(service, "finance")))


def renewal_order(service: Service, months: int = 6) -> dict[str, Any]:
    client = service.client()
    body = {"items": [{"device_id": DEVICE, "months": months}]}
    order = ok(client.post("/billing/v1/renewal-orders", json=body, headers=customer(service)), 201)
    return ok(client.post(f"/billing/v1/renewal-orders/{order['id']}/confirm", headers=customer(service)))


def topup_approved(service: Service) -> None:
    company_wanting_notices(service)
    offline_top_up(service)


def renewal_paid_from_balance(service: Service) -> None:
    company_wanting_notices(service)
    device_with_package(service)
    offline_top_up(service)
    order = renewal_order(service)
    ok(service.client().post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=customer(service)), 201)


def device_expiring_in_7_days(service: Service) -> None:
    company_wanting_notices(service)
    device_with_package(service, expires_on=(service.clock.today() + timedelta(days=7)).isoformat())
    service.run(jobs.send_expiry_reminders)


STATES: dict[str, State] = {
    "a company that wants notices paid a renewal order from its balance": renewal_paid_from_balance,
    "finance approved an offline top-up of a company that wants notices": topup_approved,
    "a device of a company that wants notices expires in 7 days": device_expiring_in_7_days,
}


def awaiting_wechat_payment(service: Service) -> str:
    """A company's renewal order of 6 months × 1000 CNY, its WeChat payment started; answers the payment id."""
    company_wanting_notices(service)
    device_with_package(service)
    order = renewal_order(service)
    started = ok(service.client().post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "wechat"},
                                       headers=customer(service)), 201)
    return started["payment_id"]
