"""End-to-end stories of the marketplace (issues 6 and 7), driven through the gateway.

Marketplace I: application with files → a disguised file refused → approval → activation mail →
the reseller logs in → cannot review or publish → catalog search → customers → an invited distributor
user sees them → another reseller gets 404 → a second review is 409.
Marketplace II: cart → checkout with a coupon (server total, contract acceptance, racing retries make
one order) → used coupon and excess rebate refused → contract PDF → sandbox payment → the customer's
tenant receives the entitlement order and its mail → no review before completion.
"""
from __future__ import annotations

import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from shared.testkit import body_text, wait_until
from tests.e2e import steps

pytestmark = pytest.mark.e2e

PASSWORD = "Reseller-Passw0rd-2026!"
PDF = b"%PDF-1.4\n%e2e\n" + b"0" * 128
EXE = b"MZ\x90\x00" + b"\x00" * 128
MKT = "/marketplace/v1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def link_token(message) -> str:  # type: ignore[no-untyped-def]
    """The `token` query parameter of the first link in a mail that carries one."""
    for url in re.findall(r"https?://[^\s\"'<>]+", body_text(message)):
        token = parse_qs(urlsplit(url).query).get("token")
        if token:
            return token[0]
    raise AssertionError("no link with a token in the mail")


def apply(suite, email: str, *files: tuple[str, bytes]):  # type: ignore[no-untyped-def]
    form = {"company": f"蓝云伙伴 {email}", "business_owner": "赵益康", "contact_name": "安可", "email": email,
            "phone": steps.new_phone(), "position": "经理", "address": "上海市虹口区"}
    return suite.api().post(f"{MKT}/reseller-applications", data=form,
                            files=[("files", (name, io.BytesIO(content))) for name, content in files])


def accept_invitation(suite, email: str) -> str:  # type: ignore[no-untyped-def]
    message = suite.smtp.wait_for(email, timeout=60)[-1]
    accepted = suite.api().post("/identity/v1/invitations/accept", json={"token": link_token(message), "password": PASSWORD})
    assert accepted.status_code in (200, 201, 204), accepted.text
    return suite.api().login(email, PASSWORD)["access_token"]


def onboard_reseller(suite, admin_token: str) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """(application id, reseller admin email, access token) of a freshly approved and activated reseller."""
    email = f"{unique('reseller')}@e2e.test"
    application = apply(suite, email, ("licence.pdf", PDF))
    assert application.status_code == 201, application.text
    application_id = application.json()["id"]
    review = suite.api(admin_token).post(f"{MKT}/reseller-applications/{application_id}/review",
                                         json={"decision": "approve", "comment": "ok", "tier": "gold"})
    assert review.status_code == 200, review.text
    return application_id, email, accept_invitation(suite, email)


@pytest.fixture(scope="module")
def catalog(suite, admin_token):  # type: ignore[no-untyped-def]
    admin = suite.api(admin_token)
    product_code = unique("INV")
    product = admin.post("/entitlements/v1/products", json={"code": product_code, "name": "开票服务", "kind": "seat",
                                                            "service_group": "invoice_issuing"})
    assert product.status_code == 201, product.text
    sku_code = unique("SKU")
    published = admin.post(f"{MKT}/solutions", json={
        "name": "SaaSaMe 云迁移工具", "category": "backup_migration", "summary": "物理机到云的工作负载迁移",
        "skus": [{"code": sku_code, "name": "基础版", "price_minor": 10700, "currency": "CNY", "region": "中国大陆"}],
        "entitlements": [{"product_code": product_code, "quantity": 1, "months": 12}]})
    assert published.status_code == 201, published.text
    admin.post(f"{MKT}/solutions", json={
        "name": "邮件安全网关", "category": "security", "summary": "邮件归档与防护",
        "skus": [{"code": unique("SKU"), "name": "标准版", "price_minor": 5000, "currency": "CNY", "region": "中国大陆"}]})
    return {"solution": published.json(), "sku_code": sku_code, "product_code": product_code}


def test_reseller_onboarding_catalog_customers_and_channel_users(suite, admin_token, catalog) -> None:  # type: ignore[no-untyped-def]
    refused = apply(suite, f"{unique('x')}@e2e.test", ("licence.pdf", PDF), ("scan.pdf", EXE))
    assert refused.status_code == 422 and refused.json()["code"] == "unsupported_file_type"

    application_id, _email, token = onboard_reseller(suite, admin_token)
    reseller = suite.api(token)
    assert reseller.post(f"{MKT}/reseller-applications/{application_id}/review", json={"decision": "approve"}).status_code == 403
    assert reseller.post(f"{MKT}/solutions", json={"name": "x"}).status_code in (403, 422)

    found = reseller.get(f"{MKT}/solutions", params={"q": "迁移", "category": "backup_migration"}).json()
    assert [s["name"] for s in found["items"]] == ["SaaSaMe 云迁移工具"]
    assert reseller.get(f"{MKT}/solutions", params={"q": "迁移", "category": "security"}).json()["total"] == 0

    customer = reseller.post(f"{MKT}/customers", json={"name": "王五", "company": "甲公司", "email": "wang@customer.test",
                                                      "phone": "13900000000"})
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["id"]

    profile = wait_until(lambda: (p := reseller.get(f"{MKT}/profile").json()).get("company") and p, 60, what="reseller profile")
    assert profile["tier"] == "gold"
    distributor_email = f"{unique('distributor')}@e2e.test"
    invited = reseller.post("/identity/v1/users", json={"org_id": profile["reseller_id"], "email": distributor_email,
                                                        "phone": steps.new_phone(), "name": "分销用户", "roles": ["reseller_user"]})
    assert invited.status_code == 201, invited.text
    distributor = suite.api(accept_invitation(suite, distributor_email))
    assert distributor.get(f"{MKT}/customers/{customer_id}").status_code == 200

    _other_id, _other_email, other_token = onboard_reseller(suite, admin_token)
    assert suite.api(other_token).get(f"{MKT}/customers/{customer_id}").status_code == 404

    second = suite.api(admin_token).post(f"{MKT}/reseller-applications/{application_id}/review", json={"decision": "reject",
                                                                                                      "comment": "again"})
    assert second.status_code == 409


def test_reseller_sale_from_cart_to_delivered_entitlements(suite, admin_token, catalog) -> None:  # type: ignore[no-untyped-def]
    admin = suite.api(admin_token)
    tenant = steps.create_tenant(suite, admin_token)

    _application_id, _email, token = onboard_reseller(suite, admin_token)
    reseller = suite.api(token)
    reseller_id = wait_until(lambda: reseller.get(f"{MKT}/profile").json().get("reseller_id"), 60, what="profile")
    coupon = admin.post(f"{MKT}/coupons", json={"reseller_id": reseller_id, "amount_minor": 700, "min_amount_minor": 10000})
    assert coupon.status_code == 201, coupon.text
    customer_id = reseller.post(f"{MKT}/customers", json={"name": "李四", "company": "乙公司", "email": tenant.email,
                                                         "phone": tenant.phone, "tenant_id": tenant.tenant_id}).json()["id"]

    cart = reseller.post(f"{MKT}/cart/items", json={"sku_code": catalog["sku_code"], "quantity": 1, "params": {"account": "acc"}})
    assert cart.status_code == 201 and cart.json()["totals"] == {"CNY": 10700}
    body = {"from_cart": True, "customer_id": customer_id, "payment_method": "online", "coupon_code": coupon.json()["code"],
            "remark": "请尽快交付", "accept_contract": False}
    refused = reseller.post(f"{MKT}/checkout", json=body)
    assert refused.status_code == 422 and refused.json()["code"] == "contract_not_accepted"

    body["accept_contract"] = True
    key = unique("checkout")

    def attempt(_index: int):  # type: ignore[no-untyped-def]
        return suite.api(token).post(f"{MKT}/checkout", json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(attempt, range(4)))
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.json()["id"] for r in created}) == 1, [r.text for r in responses]
    order = created[0].json()
    assert (order["subtotal_minor"], order["coupon_minor"], order["total_minor"]) == (10700, 700, 10000)
    assert reseller.get(f"{MKT}/orders").json()["total"] == 1

    items = {"items": [{"sku_code": catalog["sku_code"], "quantity": 1}], "customer_id": customer_id,
             "payment_method": "online", "accept_contract": True}
    assert reseller.post(f"{MKT}/checkout", json={**items, "coupon_code": coupon.json()["code"]}).status_code == 409
    assert reseller.post(f"{MKT}/checkout", json={**items, "rebate_minor": 100}).json()["code"] == "insufficient_rebate_balance"

    contract = reseller.get(f"{MKT}/orders/{order['id']}/contract.pdf")
    assert contract.status_code == 200
    assert order["order_no"] in "".join(page.extract_text() for page in PdfReader(io.BytesIO(contract.content)).pages)
    _other, _other_email, other_token = onboard_reseller(suite, admin_token)
    assert suite.api(other_token).get(f"{MKT}/orders/{order['id']}/contract.pdf").status_code == 404

    payment = reseller.post(f"{MKT}/orders/{order['id']}/payments", json={"method": "online"}, headers={"Idempotency-Key": unique("pay")})
    assert payment.status_code == 201, payment.text
    assert payment.json()["redirect_url"] == f"{suite.suite.env['SUITE_PUBLIC_URL']}/portal/pay/marketplace/{payment.json()['payment_id']}"
    paid = suite.api().post(f"{MKT}/sandbox/pay/{payment.json()['payment_id']}", json={"outcome": "success"})
    assert paid.status_code == 202 and paid.json()["callback"] == "queued", paid.text
    # the marketplace worker sends the signed callback (never the page's own request thread); the sale is paid and moves
    # to processing; entitlements' delivery may follow within the poll's interval, so wait for the payment, not a status
    details = wait_until(lambda: (b := reseller.get(f"{MKT}/orders/{order['id']}").json())["payment_status"] == "paid" and b,
                         30, interval=0.3, what="the sandbox callback from the marketplace's worker")
    assert details["status"] in ("processing", "delivered"), details
    assert [m["status"] for m in details["milestones"]][:2] == ["pending_payment", "processing"], details["milestones"]
    assert [p["status"] for p in details["payments"]] == ["succeeded"], details["payments"]

    tenant_admin = suite.api(tenant.access_token)
    delivered = wait_until(lambda: [o for o in tenant_admin.get("/entitlements/v1/orders").json().get("items", [])
                                    if o.get("source") == "marketplace"], 60, interval=0.5, what="the marketplace delivery")
    steps.operation_key_from_mail(suite, tenant.email, delivered[0]["order_no"])
    # entitlements' delivery moves the sale on: processing → delivered (nobody records it by hand)
    wait_until(lambda: reseller.get(f"{MKT}/orders/{order['id']}").json()["status"] == "delivered", 30, interval=0.3,
               what="the marketplace order delivered")

    review = reseller.post(f"{MKT}/solutions/{catalog['solution']['id']}/reviews", json={"order_id": order["id"], "rating": 5})
    assert review.status_code == 409 and review.json()["code"] == "order_not_completed"

    # the customer activates the delivered entitlements: the sale is completed and its buyer may review
    steps.activate_order(suite, tenant, delivered[0])
    wait_until(lambda: reseller.get(f"{MKT}/orders/{order['id']}").json()["status"] == "completed", 30, interval=0.3,
               what="the marketplace order completed")
    milestones = [m["status"] for m in reseller.get(f"{MKT}/orders/{order['id']}").json()["milestones"]]
    assert milestones == ["pending_payment", "processing", "delivered", "completed"], milestones
    review = reseller.post(f"{MKT}/solutions/{catalog['solution']['id']}/reviews", json={"order_id": order["id"], "rating": 5})
    assert review.status_code == 201, review.text


def test_dealer_disable_channel_users_and_customer_tenants_follow_identity(suite, admin_token) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: disabling a dealer reaches identity and refuses its users at once; channel users follow identity
    (status, sign-in, deletion); a customer naming an unknown tenant is 422."""
    _application_id, _email, token = onboard_reseller(suite, admin_token)
    reseller = suite.api(token)
    reseller_id = wait_until(lambda: reseller.get(f"{MKT}/profile").json().get("reseller_id"), 60, what="profile")
    dealer_id = reseller.post(f"{MKT}/dealers", json={"name": "华东经销商"}).json()["id"]
    organisation = reseller.post("/identity/v1/organisations", json={"kind": "dealer", "name": "华东经销商", "parent_id": reseller_id,
                                                                     "external_ref": f"dealer:{dealer_id}"})
    assert organisation.status_code == 201, organisation.text
    dealer_org = organisation.json()["id"]
    wait_until(lambda: reseller.get(f"{MKT}/dealers/{dealer_id}").json()["org_id"] == dealer_org, 30, what="the dealer link")
    seller_email = f"{unique('dealer')}@e2e.test"
    invited = reseller.post("/identity/v1/users", json={"org_id": dealer_org, "email": seller_email, "phone": steps.new_phone(),
                                                         "name": "经销商用户", "roles": ["dealer_user"]})
    assert invited.status_code == 201, invited.text
    accept_invitation(suite, seller_email)
    session = suite.api().login(seller_email, PASSWORD)
    seller = suite.api(session["access_token"])
    assert seller.get(f"{MKT}/customers").status_code == 200

    def seller_row() -> dict | None:
        items = reseller.get(f"{MKT}/channel-users", params={"dealer_id": dealer_id}).json()["items"]
        return next((u for u in items if u["email"] == seller_email and u["last_login_at"]), None)

    row = wait_until(seller_row, 30, interval=0.5, what="the dealer user's sign-in in the channel users")
    assert (row["status"], row["enabled"]) == ("active", True)

    # A customer's tenant must exist.
    unknown = reseller.post(f"{MKT}/customers", json={"name": "王五", "company": "甲公司", "email": "wang@customer.test",
                                                     "phone": "13900000000", "tenant_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_tenant", unknown.text

    # Disabling the dealer: refused here at once, then identity locks its users out.
    assert reseller.post(f"{MKT}/dealers/{dealer_id}/disable").status_code == 200
    refused = seller.get(f"{MKT}/customers")
    assert refused.status_code == 403 and refused.json()["code"] == "organisation_disabled"
    wait_until(lambda: suite.api().post("/identity/v1/auth/login", json={"username": seller_email, "password": PASSWORD})
               .json().get("code") == "account_disabled", 30, interval=0.5, what="identity to disable the dealer")
    assert suite.api().post("/identity/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    wait_until(lambda: (row := reseller.get(f"{MKT}/channel-users", params={"dealer_id": dealer_id}).json()["items"]) and
               row[0]["status"] == "active", 5, what="the list")  # the user's own state is unchanged: its organisation is off

    # A distributor user deleted in identity leaves the list.
    member_email = f"{unique('member')}@e2e.test"
    member = reseller.post("/identity/v1/users", json={"org_id": reseller_id, "email": member_email, "phone": steps.new_phone(),
                                                        "name": "分销用户", "roles": ["reseller_user"]}).json()
    wait_until(lambda: member_email in str(reseller.get(f"{MKT}/channel-users").json()), 30, what="the invited member")
    assert reseller.delete(f"/identity/v1/users/{member['id']}").status_code == 204
    wait_until(lambda: member_email not in str(reseller.get(f"{MKT}/channel-users").json()), 30, interval=0.5,
               what="the deleted member to leave the channel users")


def test_money_paths_retry_refund_runs_and_adjustments(suite, admin_token, catalog) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: success after a failure is a 409 and a new payment retries; a second payment of one order is refunded
    through the provider with a mail; finance runs jobs for ended periods only and adjusts the rebate by hand."""
    from datetime import UTC, datetime

    finance = suite.api(admin_token)
    tenant = steps.create_tenant(suite, admin_token)
    _application_id, email, token = onboard_reseller(suite, admin_token)
    reseller = suite.api(token)
    reseller_id = wait_until(lambda: reseller.get(f"{MKT}/profile").json().get("reseller_id"), 60, what="profile")
    customer = wait_until(lambda: (r := reseller.post(f"{MKT}/customers", json={
        "name": "赵六", "company": "丙公司", "email": tenant.email, "phone": tenant.phone, "tenant_id": tenant.tenant_id}))
        .status_code == 201 and r.json(), 30, interval=0.5, what="the customer of a known tenant")
    order = reseller.post(f"{MKT}/checkout", json={"items": [{"sku_code": catalog["sku_code"], "quantity": 1}],
                                                   "customer_id": customer["id"], "payment_method": "online",
                                                   "accept_contract": True}).json()

    def start() -> str:
        started = reseller.post(f"{MKT}/orders/{order['id']}/payments", json={"method": "online"})
        assert started.status_code == 201, started.text
        return started.json()["payment_id"]

    def pay_at_sandbox(payment_id: str, outcome: str, settled_as: str) -> None:
        """The payer's choice at the sandbox page (202, callback queued); the marketplace's worker sends the signed
        callback a moment later, which settles the payment."""
        page = suite.api().post(f"{MKT}/sandbox/pay/{payment_id}", json={"outcome": outcome})
        assert page.status_code == 202 and page.json()["callback"] == "queued", page.text
        wait_until(lambda: {p["id"]: p["status"] for p in reseller.get(f"{MKT}/orders/{order['id']}").json()["payments"]}
                   .get(payment_id) == settled_as, 30, interval=0.3, what=f"the {outcome} callback from the marketplace's worker")

    # Failure, then success for the same payment: 409 saying to retry; a new payment pays.
    failed = start()
    pay_at_sandbox(failed, "failure", "failed")
    again = suite.api().post(f"{MKT}/sandbox/pay/{failed}", json={"outcome": "success"})
    assert again.status_code == 409 and "new payment" in again.json()["detail"], again.text
    assert reseller.get(f"{MKT}/orders/{order['id']}").json()["status"] == "pending_payment"
    first, second = start(), start()
    pay_at_sandbox(first, "success", "succeeded")
    pay_at_sandbox(second, "success", "refund_due")
    assert reseller.get(f"{MKT}/orders/{order['id']}").json()["status"] in ("processing", "delivered")

    # The second successful payment is refunded through the provider; the reseller is mailed.
    due = finance.get(f"{MKT}/payments", params={"status": "refund_due", "reseller_id": reseller_id}).json()["items"]
    assert [p["id"] for p in due] == [second]
    refunded = finance.post(f"{MKT}/payments/{second}/refund", json={"reason": "同一订单重复付款"},
                            headers={"Idempotency-Key": unique("refund")})
    assert refunded.status_code == 201 and refunded.json()["status"] == "refunded", refunded.text
    refund_ref = refunded.json()["refund"]["refund_ref"]
    wait_until(lambda: any(refund_ref in body_text(m) for m in suite.smtp.to(email)), 60, interval=0.5, what="the refund mail")
    assert finance.post(f"{MKT}/payments/{second}/refund", json={"reason": "again"}).status_code == 409

    # Jobs for ended periods only; a manual rebate adjustment with a reason.
    this_month = datetime.now(UTC).strftime("%Y-%m")
    for url, period in ((f"{MKT}/settlements/runs", this_month), (f"{MKT}/settlements/runs", "2999-12"),
                        (f"{MKT}/credit/bills/runs", this_month), (f"{MKT}/rebate/runs", "2999-H1")):
        early = finance.post(url, json={"period": period})
        assert early.status_code == 422 and early.json()["code"] == "period_not_ended", (url, early.text)
    assert finance.post(f"{MKT}/rebate/runs", json={"period": "2020-H1"}).status_code == 201
    adjusted = finance.post(f"{MKT}/resellers/{reseller_id}/rebate/adjustments", json={"amount_minor": 500, "reason": "首单激励"},
                            headers={"Idempotency-Key": unique("adjust")})
    assert adjusted.status_code == 201 and adjusted.json()["reason"] == "首单激励", adjusted.text
    assert reseller.get(f"{MKT}/rebate").json()["balance_minor"] == 500
