"""One event per notifier event type, with every field docs/events.md lists, for the tests."""
from __future__ import annotations

import copy
import uuid
from typing import Any

from shared.envelope import Event

INITIAL_PASSWORD = "Init-Pa55-Xq7!"
OPERATION_KEY = "OPKEY-7F3A-91C2-55D0"
SMS_CODE = "604219"
CREDIT_CODE = "883901"
INVITATION_TOKEN = "inv_Zq8mC2vT5kL9pX3rW7yB"

TENANT = "tenant-1"
COMPANY = "company-1"
RESELLER = "reseller-1"


def recipient(email: str | None = "admin@acme.test", phone: str | None = "13800138000", language: str | None = None) -> dict[str, Any]:
    return {"email": email, "phone": phone, "name": "张三", "language": language}


DATA: dict[str, dict[str, Any]] = {
    "identity.tenant.created.v1": {
        "tenant_id": TENANT,
        "name": "苏州测试科技有限公司",
        "contact_email": "admin@acme.test",
        "contact_phone": "13800138000",
        "status": "active",
        "created_at": "2026-01-01T00:00:00Z",
        "portal_url": "https://portal.suite.local/login",
        "admin": {"user_id": "user-1", "username": "admin@acme.test"},
        "initial_password": INITIAL_PASSWORD,
        "recipient": recipient(),
    },
    "identity.user.invited.v1": {
        "user_id": "user-2",
        "org_id": RESELLER,
        "org_kind": "reseller",
        "email": "new.user@acme.test",
        "name": "李四",
        "roles": ["reseller_user"],
        "activation_url": f"https://portal.suite.local/activate?token={INVITATION_TOKEN}",
        "expires_at": "2026-01-04T00:00:00Z",
        "recipient": recipient("new.user@acme.test"),
    },
    "identity.user.already_registered.v1": {
        "user_id": "user-3",
        "email": "taken@acme.test",
        "inviting_org_name": "另一家公司",
        "recipient": recipient("taken@acme.test"),
    },
    "identity.sms_code.requested.v1": {
        "user_id": "user-1",
        "purpose": "password_change",
        "code": SMS_CODE,
        "expires_at": "2026-01-01T00:05:00Z",
        "recipient": recipient(),
    },
    "identity.api_client.issued.v1": {
        "tenant_id": TENANT,
        "enterprise_id": "ent-1",
        "tax_id": "91320594MA1XXXXX0X",
        "enterprise_name": "苏州测试科技有限公司",
        "client_id": "cli_5f2a9c",
        "recipient": recipient(),
    },
    "entitlements.order.delivered.v1": {
        "tenant_id": TENANT,
        "order_id": "order-1",
        "order_no": "ORD-2026-0001",
        "source": "sales",
        "lines": [
            {
                "id": "line-1",
                "product_code": "INV-ISSUE",
                "product_name": "发票开具",
                "kind": "seat",
                "service_group": "invoice_issuing",
                "quantity": 3,
                "valid_from": "2026-01-01",
                "valid_to": "2026-12-31",
                "serial_number": "SN-0001",
            }
        ],
        "activation_url": "https://portal.suite.local/orders/activate",
        "operation_key": OPERATION_KEY,
        "recipient": recipient(),
        "resent": False,
    },
    "entitlements.line.expiring.v1": {
        "tenant_id": TENANT,
        "order_id": "order-1",
        "order_no": "ORD-2026-0001",
        "line_id": "line-1",
        "product_code": "INV-ISSUE",
        "product_name": "发票开具",
        "serial_number": "SN-0001",
        "valid_to": "2026-12-31",
        "days_left": 30,
        "recipient": recipient(),
        "enterprise_count": 12,
        "enterprises": [{"name": "杭州示例网络有限公司", "tax_id": "91330100MA2XXXXX1Y"}],
    },
    "billing.order.paid.v1": {
        "order_id": "b-order-1",
        "order_no": "BO-2026-0001",
        "company_id": COMPANY,
        "kind": "renewal",
        "amount_minor": 1234500,
        "currency": "CNY",
        "method": "alipay",
        "recipient": recipient("finance@acme.test"),
    },
    "billing.topup.approved.v1": {
        "topup_id": "topup-1",
        "order_no": "BT202601150001",
        "reference": "CMB-20260115-0042",
        "company_id": COMPANY,
        "amount_minor": 50000,
        "currency": "USD",
        "comment": "已核对银行流水",
        "recipient": recipient("finance@acme.test"),
    },
    "billing.renewal.completed.v1": {
        "order_id": "b-order-2",
        "order_no": "BR202601150002",
        "company_id": COMPANY,
        "ok": True,
        "error": None,
        "auto": True,
        "devices": [{"device_id": "DEV-1", "expires_on": "2027-01-31"}, {"device_id": "DEV-2", "expires_on": "2027-02-28"}],
        "amount_minor": 24000,
        "currency": "CNY",
        "recipient": recipient("finance@acme.test"),
    },
    "billing.device.expiring.v1": {
        "company_id": COMPANY,
        "devices": [{"device_id": "DEV-1", "expires_on": "2026-01-31"}],
        "recipient": recipient("finance@acme.test"),
    },
    "marketplace.reseller.rejected.v1": {
        "application_id": "app-1",
        "company": "上海示例信息技术有限公司",
        "comment": "营业执照不清晰",
        "recipient": recipient("apply@example.test"),
    },
    "marketplace.order.paid.v1": {
        "order_id": "m-order-1",
        "order_no": "MO-2026-0001",
        "reseller_id": RESELLER,
        "customer_id": "customer-1",
        "tenant_id": TENANT,
        "total_minor": 10700,
        "currency": "CNY",
        "method": "credit",
        "entitlement_lines": [{"product_code": "INV-ISSUE", "quantity": 1, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}],
        "recipient": recipient("sales@reseller.test"),
    },
    "marketplace.credit.code_requested.v1": {
        "reseller_id": RESELLER,
        "code": CREDIT_CODE,
        "expires_at": "2026-01-01T00:10:00Z",
        "recipient": recipient("boss@reseller.test"),
    },
    "marketplace.credit.used_offline.v1": {
        "reseller_id": RESELLER,
        "amount_minor": 2000000,
        "currency": "CNY",
        "reference": "BANK-20260101-01",
        "available_minor": 3000000,
        "owed_minor": 2000000,
        "recipient": recipient("boss@reseller.test"),
    },
    "marketplace.payment.refunded.v1": {
        "reseller_id": RESELLER,
        "payment_id": "payment-2",
        "order_id": "m-order-1",
        "order_no": "MO202601010001",
        "amount_minor": 10700,
        "currency": "CNY",
        "channel": "provider",
        "refund_ref": "SBXR0123456789ABCDEF",
        "reason": "同一订单重复付款",
        "recipient": recipient("boss@reseller.test"),
    },
    "marketplace.ticket.created.v1": {
        "ticket_id": "ticket-1",
        "subject": "开票接口咨询",
        "service_type": "consultation",
        "category": "business_services",
        "recipient": recipient("buyer@example.test"),
    },
    "marketplace.trial.requested.v1": {
        "trial_id": "trial-1",
        "solution_id": "sol-1",
        "solution_name": "智能票据识别",
        "recipient": recipient("buyer@example.test"),
    },
}
DATA["entitlements.line.expired.v1"] = {**DATA["entitlements.line.expiring.v1"], "days_left": 0}

SECRETS = (INITIAL_PASSWORD, OPERATION_KEY, SMS_CODE, CREDIT_CODE, INVITATION_TOKEN)


def event(event_type: str, *, tenant_id: str | None = None, **changes: Any) -> Event:
    """A fresh event (new id) of `event_type` with the sample data, top-level fields replaced by `changes`."""
    data = {**copy.deepcopy(DATA[event_type]), **changes}
    service = event_type.split(".", 1)[0]
    return Event(
        id=str(uuid.uuid4()),
        type=event_type,
        source=f"/services/{service}",
        subject="subject-1",
        data=data,
        time="2026-01-01T00:00:00Z",
        tenantid=tenant_id,
    )
