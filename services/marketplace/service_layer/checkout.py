"""Checkout (立即购买 / 购物车结算): one order from items or the cart, totals computed here only.

Everything that can be refused is checked before anything changes; the coupon and the rebate are then
taken with guarded updates, so racing checkouts never reuse a coupon or overdraw the rebate balance.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.marketplace.adapters.orm import order_lines, orders
from services.marketplace.domain import orders as status
from services.marketplace.domain.coupons import BasketLine
from services.marketplace.domain.pricing import PricedLine, PricingRefused, order_currency, totals
from services.marketplace.service_layer import cart, coupons, credit, rebate
from services.marketplace.service_layer.common import Channel, new_id
from services.marketplace.service_layer.customers import customer_of
from services.marketplace.service_layer.orders import add_milestone, mark_paid
from shared.errors import Problem
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class CheckoutRequest:
    customer_id: str
    payment_method: str
    accept_contract: bool
    items: list[dict[str, Any]] | None = None
    from_cart: bool = False
    cart_item_ids: list[str] | None = None
    coupon_code: str | None = None
    rebate_minor: int = 0
    expected_close_date: date | None = None
    remark: str | None = None


@dataclass(frozen=True)
class ResolvedLine:
    sku: Any
    quantity: int
    params: dict[str, Any]
    cart_item_id: str | None = None

    def priced(self) -> PricedLine:
        return PricedLine(self.sku.id, self.sku.solution_id, self.sku.price_minor, self.sku.currency, self.quantity,
                          self.sku.tax_rate_bp)


def place_order(uow: UnitOfWork, channel: Channel, request: CheckoutRequest) -> str:
    if not request.accept_contract:
        raise Problem(422, "contract_not_accepted", "the e-contract must be accepted to place the order",
                      errors={"accept_contract": ["must be true"]})
    customer = customer_of(uow, channel, request.customer_id)
    lines = _resolve_lines(uow, channel, request)
    if any(line.sku.entitlements for line in lines) and not customer.tenant_id:
        raise Problem(422, "customer_tenant_required", "these solutions are delivered to a tenant: link the customer to one",
                      errors={"customer_id": ["customer has no tenant_id"]})
    priced = [line.priced() for line in lines]
    try:
        currency = order_currency(priced)
    except PricingRefused as refused:
        raise Problem(422, refused.code, refused.detail) from None
    order_id = new_id()
    coupon_id, coupon_minor = None, 0
    if request.coupon_code:
        basket = [BasketLine(p.solution_id, line.sku.region, p.quantity, p.amount_minor) for p, line in zip(priced, lines, strict=True)]
        coupon_id, coupon_minor = coupons.claim_coupon(uow, channel.reseller_id, request.coupon_code, order_id, basket, currency)
    try:
        figures = totals(priced, coupon_minor, request.rebate_minor)
    except PricingRefused as refused:
        field = "items" if refused.code == "order_too_large" else "rebate_minor"
        raise Problem(422, refused.code, refused.detail, errors={field: [refused.detail]}) from None
    if request.payment_method == "credit":
        _check_credit_available(uow, channel.reseller_id, figures.total_minor, currency)
    if figures.rebate_minor and currency != rebate.CURRENCY:
        raise Problem(422, "rebate_currency_mismatch", "the rebate balance is in CNY")
    _insert_order(uow, channel, request, order_id, customer, currency, figures, coupon_id)
    _insert_lines(uow, order_id, lines)
    if figures.rebate_minor:
        rebate.spend(uow, channel.reseller_id, figures.rebate_minor, order_id)
    if request.from_cart:
        cart.clear_items(uow, channel, [line.cart_item_id for line in lines if line.cart_item_id])
    add_milestone(uow, order_id, status.PENDING_PAYMENT)
    if figures.total_minor == 0:
        mark_paid(uow, order_id, request.payment_method)
    return order_id


def _check_credit_available(uow: UnitOfWork, reseller_id: str, total_minor: int, currency: str) -> None:
    line = credit.line_of(uow, reseller_id)
    if currency != line.currency:
        raise Problem(422, "credit_currency_mismatch", f"the credit line is in {line.currency}")
    if total_minor > line.limit_minor - line.owed_minor:
        raise Problem(409, "credit_limit_exceeded", "the order total exceeds the available credit")


def _resolve_lines(uow: UnitOfWork, channel: Channel, request: CheckoutRequest) -> list[ResolvedLine]:
    if request.from_cart:
        items = [{"sku_code": item.sku_code, "quantity": item.quantity, "params": item.params, "cart_item_id": item.id}
                 for item in cart.cart_lines(uow, channel, request.cart_item_ids, for_checkout=True)]
        if not items:
            raise Problem(422, "cart_empty", "the cart has no items to check out", errors={"from_cart": ["cart is empty"]})
    else:
        items = request.items or []
        if not items:
            raise Problem(422, "validation_failed", "give items or from_cart", errors={"items": ["at least one item"]})
    return [ResolvedLine(cart.sellable_sku(uow, item["sku_code"]), item["quantity"], item.get("params") or {}, item.get("cart_item_id"))
            for item in items]


def _order_numbers(uow: UnitOfWork) -> tuple[str, str]:
    stamp = uow.clock.now().strftime("%Y%m%d%H%M%S")
    serial = f"{secrets.randbelow(10**6):06d}"
    return stamp + serial, "HT" + stamp + serial


def _insert_order(uow: UnitOfWork, channel: Channel, request: CheckoutRequest, order_id: str, customer: Any,
                  currency: str, figures: Any, coupon_id: str | None) -> None:
    order_no, contract_no = _order_numbers(uow)
    snapshot = {"name": customer.name, "company": customer.company, "email": customer.email, "phone": customer.phone,
                "address": customer.address, "tenant_id": customer.tenant_id}
    uow.session.execute(orders.insert().values(
        id=order_id, order_no=order_no, contract_no=contract_no, reseller_id=channel.reseller_id,
        dealer_org_id=channel.dealer_org_id, buyer_id=channel.user_id, buyer_email=channel.email,
        customer_id=customer.id, customer=snapshot, customer_label=f"{customer.name} {customer.company}".lower()[:320],
        status=status.PENDING_PAYMENT, payment_method=request.payment_method, payment_status="unpaid", currency=currency,
        subtotal_minor=figures.subtotal_minor, coupon_id=coupon_id, coupon_minor=figures.coupon_minor,
        rebate_minor=figures.rebate_minor, total_minor=figures.total_minor, tax_minor=figures.tax_minor,
        expected_close_date=request.expected_close_date, remark=request.remark, accept_contract=True,
        created_at=uow.clock.now()))


def _insert_lines(uow: UnitOfWork, order_id: str, lines: list[ResolvedLine]) -> None:
    for line in lines:
        sku = line.sku
        uow.session.execute(order_lines.insert().values(
            id=new_id(), order_id=order_id, sku_id=sku.id, sku_code=sku.code, sku_name=sku.name, solution_id=sku.solution_id,
            solution_name=sku.solution_name, region=sku.region, unit_price_minor=sku.price_minor, quantity=line.quantity,
            amount_minor=sku.price_minor * line.quantity, tax_rate_bp=sku.tax_rate_bp, params=line.params,
            entitlements=list(sku.entitlements)))
