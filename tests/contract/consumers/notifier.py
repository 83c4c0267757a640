"""The notifier's expectations: every event that asks for a mail or an SMS.

The notifier's handler renders the message with strict templates (tests/contract/harness.py), so a
field a template uses must be in the expectation, and the check asserts the message was queued.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.notifier.adapters.orm import messages
from tests.contract.consumers import TAX_ID, TENANT, MessageExpectation, recipient
from tests.contract.harness import Service
from tests.contract.matchers import date, each, nullable, one_of, timestamp, url

COMPANY = "2f9d7c1e-5b4a-4e3d-8c2b-1a0f9e8d7c6b"
RESELLER = "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5f6e"


def queued(service: Service, body: dict[str, Any]) -> None:
    with service.context.session_factory() as session:
        kept = session.execute(select(messages.c.channel).where(messages.c.event_id == body["id"])).scalars().all()
    assert kept, f"the notifier queued no message for {body['type']}"


def mail(event_type: str, reason: str, state: str, subject: Any, data: dict[str, Any]) -> MessageExpectation:
    return MessageExpectation("notifier", event_type, reason, state, subject, data, check=queued)


DEVICES = each({"device_id": "POS-0001", "expires_on": date("2026-02-01")})
BILLING_RECIPIENT = recipient("finance@acme.test")

EXPECTATIONS = [
    mail("identity.tenant.created.v1", "the welcome mail with the initial password", "a platform admin created a tenant",
         TENANT, {"tenant_id": TENANT, "name": "苏州测试科技有限公司", "contact_phone": nullable("13800138000"),
                  "portal_url": url("https://portal.suite.test"), "admin": {"username": "admin@acme.test"},
                  "initial_password": "Init-Pa55-Xq7!", "recipient": recipient()}),
    mail("identity.user.invited.v1", "the invitation mail with the activation link", "a tenant admin invited a colleague",
         "user-2", {"org_id": TENANT, "email": "new.user@acme.test", "activation_url": url("https://portal.suite.test/activate?token=inv_1"),
                    "expires_at": timestamp("2026-01-04T00:00:00Z"), "recipient": recipient("new.user@acme.test")}),
    mail("identity.user.already_registered.v1", "the notice to the holder of an address someone tried to invite",
         "a tenant admin invited an address that has an account in another organisation",
         "user-3", {"email": "taken@acme.test", "inviting_org_name": "苏州测试科技有限公司", "recipient": recipient("taken@acme.test")}),
    mail("identity.sms_code.requested.v1", "the SMS with the code", "a signed-in tenant admin asked for an SMS code to change the password",
         "user-1", {"purpose": one_of("password_change"), "code": "604219",
                    "expires_at": timestamp("2026-01-01T00:05:00Z"), "recipient": recipient(sms=True)}),
    mail("identity.api_client.issued.v1", "the authorisation notice", "a tenant allocated a seat to an enterprise for the first time",
         "cli_5f2a9c", {"tenant_id": TENANT, "tax_id": TAX_ID, "enterprise_name": nullable("苏州测试科技有限公司"),
                        "client_id": "cli_5f2a9c", "recipient": recipient()}),
    mail("entitlements.order.delivered.v1", "the activation mail with the operation key",
         "platform sales delivered an order with 3 invoice-issuing seats to a known tenant",
         "order-1", {"tenant_id": TENANT, "order_no": "ORD-2026-0001", "activation_url": url("https://portal.suite.test/activate"),
                     "operation_key": "OPKEY-7F3A-91C2-55D0", "resent": False, "recipient": recipient(),
                     "lines": each({"product_code": "INV-ISSUE", "product_name": "发票开具", "quantity": 3,
                                    "valid_from": date("2026-01-01"), "valid_to": date("2026-12-31"),
                                    "serial_number": nullable("SN-0001")})}),
    mail("entitlements.line.expiring.v1", "the reminder before an order line ends", "an order line of a known tenant ends in 30 days",
         "line-1", {"tenant_id": TENANT, "order_no": "ORD-2026-0001", "product_code": "INV-ISSUE", "product_name": "发票开具",
                    "serial_number": nullable("SN-0001"), "valid_to": date("2026-12-31"), "days_left": 30, "recipient": recipient(),
                    "enterprise_count": 1, "enterprises": each({"name": "杭州示例网络有限公司", "tax_id": TAX_ID}, min=0)}),
    mail("entitlements.line.expired.v1", "the notice that an order line ended", "an order line of a known tenant ended yesterday",
         "line-1", {"tenant_id": TENANT, "order_no": "ORD-2026-0001", "product_code": "INV-ISSUE", "product_name": "发票开具",
                    "serial_number": nullable("SN-0001"), "valid_to": date("2026-12-31"), "recipient": recipient(),
                    "enterprise_count": 1, "enterprises": each({"name": "杭州示例网络有限公司", "tax_id": TAX_ID}, min=0)}),
    mail("billing.order.paid.v1", "the payment receipt", "a company that wants notices paid a renewal order from its balance",
         "b-order-1", {"company_id": COMPANY, "order_no": "BO-2026-0001", "kind": one_of("renewal", "topup", "value_added"),
                       "amount_minor": 600000, "currency": "CNY", "method": one_of("balance", "wechat", "alipay", "paypal"),
                       "recipient": BILLING_RECIPIENT, "emails": each("finance@acme.test", min=0)}),
    mail("billing.topup.approved.v1", "the top-up receipt", "finance approved an offline top-up of a company that wants notices",
         "topup-1", {"company_id": COMPANY, "topup_id": "topup-1", "order_no": "BT202601150001",
                     "reference": "CMB-20260115-0042", "amount_minor": 50000, "currency": "CNY",
                     "comment": nullable("已核对银行流水"), "recipient": BILLING_RECIPIENT, "emails": each("finance@acme.test", min=0)}),
    mail("billing.renewal.completed.v1", "the renewal result", "a company that wants notices paid a renewal order from its balance",
         "b-order-1", {"company_id": COMPANY, "order_id": nullable("b-order-1"), "order_no": nullable("BR202601150001"),
                       "ok": True, "error": nullable("insufficient_balance"),
                       "auto": False, "devices": DEVICES, "amount_minor": 600000, "currency": "CNY",
                       "recipient": BILLING_RECIPIENT, "emails": each("finance@acme.test", min=0)}),
    mail("billing.device.expiring.v1", "the device expiry reminder", "a device of a company that wants notices expires in 7 days",
         COMPANY, {"company_id": COMPANY, "devices": DEVICES, "recipient": BILLING_RECIPIENT, "emails": each("finance@acme.test", min=0)}),
    mail("marketplace.reseller.rejected.v1", "the rejection mail to the applicant", "platform staff rejected a reseller application",
         "app-1", {"application_id": "app-1", "company": "上海示例信息技术有限公司", "comment": nullable("营业执照不清晰"),
                   "recipient": recipient("apply@example.test")}),
    mail("marketplace.order.paid.v1", "the order confirmation to the reseller", "a reseller paid online for a customer's order",
         "m-order-1", {"order_no": "MO-2026-0001", "reseller_id": RESELLER, "total_minor": 10700, "currency": "CNY",
                       "method": one_of("online", "offline", "credit"), "recipient": recipient("sales@reseller.test"),
                       "entitlement_lines": each({"product_code": "INV-ISSUE", "quantity": 1, "valid_from": date("2026-01-01"),
                                                  "valid_to": date("2026-12-31")}, min=0)}),
    mail("marketplace.credit.code_requested.v1", "the credit verification code",
         "a reseller admin with a credit line asked for a credit verification code",
         RESELLER, {"reseller_id": RESELLER, "code": "883901", "expires_at": timestamp("2026-01-01T00:10:00Z"),
                    "recipient": recipient("boss@reseller.test")}),
    mail("marketplace.ticket.created.v1", "the ticket acknowledgement", "a visitor opened a consultation ticket",
         "ticket-1", {"ticket_id": "ticket-1", "subject": "开票接口咨询", "service_type": "技术咨询", "category": "迁移",
                      "recipient": recipient("buyer@example.test")}),
    mail("marketplace.trial.requested.v1", "the trial acknowledgement", "a visitor asked for a trial of a published solution",
         "trial-1", {"trial_id": "trial-1", "solution_name": "智能票据识别", "recipient": recipient("buyer@example.test")}),
    mail("marketplace.credit.used_offline.v1", "the notice of an offline credit use",
         "finance recorded an offline use of a reseller's credit line",
         RESELLER, {"reseller_id": RESELLER, "amount_minor": 400, "currency": "CNY", "reference": "BANK-20260101-01",
                    "available_minor": 600, "owed_minor": 400, "recipient": recipient("boss@reseller.test")}),
    mail("marketplace.payment.refunded.v1", "the refund notice of a payment made twice",
         "finance refunded the second successful payment of a reseller's order", "payment-2",
         {"reseller_id": RESELLER, "order_no": "MO202601010001", "amount_minor": 10700, "currency": "CNY",
          "channel": one_of("provider", "bank_transfer"), "refund_ref": "SBXR0123456789ABCDEF", "reason": "同一订单重复付款",
          "recipient": recipient("boss@reseller.test")}),
]
