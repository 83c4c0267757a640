"""Checkout and orders: place, list and search, details, cancel, invoice request, contract, milestones."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.marketplace.adapters.documents import contract_pdf
from services.marketplace.adapters.orm import organisations
from services.marketplace.entrypoints.access import ORDER_STAFF, current_channel, resellers_only, staff_only
from services.marketplace.entrypoints.schemas.sales import (
    CheckoutInput,
    InvoiceRequest,
    MilestoneInput,
    OrderDetails,
    OrderPage,
    OrderQuery,
)
from services.marketplace.service_layer import orders
from services.marketplace.service_layer.checkout import CheckoutRequest, place_order
from services.marketplace.service_layer.common import RESELLER_ROLES, Channel
from shared.auth import current_principal, require
from shared.idempotency import idempotent
from shared.web import page_of, uow

blp = Blueprint("orders", __name__, url_prefix="/marketplace/v1", description="Checkout and orders")


def viewer() -> Channel | None:
    """The caller's channel, or None for platform staff who see every order."""
    return None if current_principal().is_platform_staff else current_channel()


def order_details(order_id: str, channel: Channel | None) -> dict[str, Any]:
    unit = uow()
    order = orders.order_of(unit, channel, order_id)
    reseller = unit.session.execute(select(organisations.c.name).where(organisations.c.org_id == order.reseller_id)).scalar()
    return {
        **order._mapping, "lines": orders.lines_of(unit, [order_id])[order_id],
        "channel": {"reseller_id": order.reseller_id, "reseller_name": reseller, "dealer_org_id": order.dealer_org_id,
                    "salesperson": order.buyer_email},
        "milestones": orders.milestones_of(unit, order_id), "payments": orders.payments_of(unit, order_id),
    }


@blp.route("/checkout")
class Checkout(MethodView):
    @idempotent
    @resellers_only()
    @blp.arguments(CheckoutInput)
    @blp.response(201, OrderDetails)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Place an order from items or the cart; totals are computed by the server (Idempotency-Key)"""
        channel = current_channel()
        order_id = place_order(uow(), channel, CheckoutRequest(**data))
        return order_details(order_id, channel)


@blp.route("/orders")
class Orders(MethodView):
    @require(*RESELLER_ROLES, *ORDER_STAFF)
    @blp.arguments(OrderQuery, location="query")
    @blp.response(200, OrderPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Orders, searchable by order number, customer or salesperson, filtered by status and dates"""
        query = orders.orders_query(viewer(), args.get("q"), args.get("status"), args.get("from_"), args.get("to"))
        page = page_of(uow().session, query, args["page"], args["page_size"])
        lines = orders.lines_of(uow(), [row.id for row in page["items"]])
        return {**page, "items": [{**row._mapping, "lines": lines[row.id]} for row in page["items"]]}


@blp.route("/orders/<order_id>")
class OrderView(MethodView):
    @require(*RESELLER_ROLES, *ORDER_STAFF)
    @blp.response(200, OrderDetails)
    def get(self, order_id: str) -> dict[str, Any]:
        """Order details: basic, customer, channel, payment, lines, delivery milestones"""
        return order_details(order_id, viewer())


@blp.route("/orders/<order_id>/cancel")
class CancelOrder(MethodView):
    @resellers_only()
    @blp.response(200, OrderDetails)
    def post(self, order_id: str) -> dict[str, Any]:
        """Cancel an unpaid order; its coupon and rebate are released"""
        channel = current_channel()
        orders.cancel_order(uow(), channel, order_id)
        return order_details(order_id, channel)


@blp.route("/orders/<order_id>/invoice-request")
class InvoiceRequestView(MethodView):
    @resellers_only()
    @blp.arguments(InvoiceRequest)
    @blp.response(200, OrderDetails)
    def post(self, invoice: dict[str, Any], order_id: str) -> dict[str, Any]:
        """Request the invoice of a paid order (申请开票), once"""
        channel = current_channel()
        orders.request_invoice(uow(), channel, order_id, invoice)
        return order_details(order_id, channel)


@blp.route("/orders/<order_id>/contract.pdf")
class Contract(MethodView):
    @resellers_only()
    @blp.response(200, content_type="application/pdf")
    def get(self, order_id: str) -> Response:
        """The order's e-contract as PDF (its reseller only)"""
        unit, channel = uow(), current_channel()
        order = orders.order_of(unit, channel, order_id)
        reseller = unit.session.execute(select(organisations.c.name).where(organisations.c.org_id == order.reseller_id)).scalar()
        pdf = contract_pdf(order, orders.lines_of(unit, [order_id])[order_id], reseller or order.reseller_id)
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="contract-{order.contract_no}.pdf"'})


@blp.route("/orders/<order_id>/milestones")
class Milestones(MethodView):
    @staff_only(*ORDER_STAFF)
    @blp.arguments(MilestoneInput)
    @blp.response(200, OrderDetails)
    def post(self, milestone: dict[str, Any], order_id: str) -> dict[str, Any]:
        """Record delivery progress: processing → delivered → completed (platform staff)"""
        orders.advance(uow(), order_id, milestone["status"], milestone.get("note"))
        return order_details(order_id, None)
