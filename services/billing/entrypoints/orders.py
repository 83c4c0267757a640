"""Renewal orders (create, confirm), paying orders, and the order records with their exports."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import (
    CUSTOMER,
    EVERYONE,
    caller,
    customer_company,
    export_response,
    payment_provider,
    session_for_export,
)
from services.billing.service_layer import orders, payments
from shared.auth import require
from shared.clock import isoformat
from shared.idempotency import idempotent
from shared.web import db, page_of, uow

renewal_orders = Blueprint("renewal_orders", __name__, url_prefix="/billing/v1/renewal-orders", description="Device renewal orders")
order_records = Blueprint("orders", __name__, url_prefix="/billing/v1/orders", description="Order records and payments")

EXPORT_HEADER = ["order_no", "kind", "status", "company_id", "amount_minor", "currency", "method", "auto", "created_at", "paid_at"]


@renewal_orders.route("")
class RenewalOrders(MethodView):
    @require(CUSTOMER)
    @renewal_orders.arguments(schemas.RenewalOrderIn)
    @renewal_orders.response(201, schemas.OrderDetail)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Draft a renewal: months per device (6, 12, 24 or 1..120), priced from each bound package."""
        who = caller()
        customer_company(who)
        return orders.create_renewal_order(uow(), who, body["items"])


@renewal_orders.route("/<order_id>/confirm")
class RenewalConfirmation(MethodView):
    @require(CUSTOMER)
    @renewal_orders.response(200, schemas.OrderDetail)
    def post(self, order_id: str) -> dict[str, Any]:
        """Confirm a draft renewal order (second confirmation): it becomes pending_payment."""
        return orders.confirm_order(uow(), caller(), order_id)


@order_records.route("")
class Orders(MethodView):
    @require(*EVERYONE)
    @order_records.arguments(schemas.OrderArgs, location="query")
    @order_records.response(200, schemas.page_schema(schemas.Order, "OrderPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Order records (renewal, top-up, value-added) by kind, status, method, currency, from/to dates."""
        query = orders.orders_query(db(), caller(), {**args, "from": args.get("from_")})
        return page_of(db(), query, args["page"], args["page_size"])


@order_records.route("/export")
class OrderExport(MethodView):
    @require(*EVERYONE)
    @order_records.arguments(schemas.OrderExportArgs, location="query")
    @order_records.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """Export the filtered order records as CSV (streamed) or XLSX."""
        session = session_for_export()
        query = orders.orders_query(session, caller(), {**args, "from": args.get("from_")})
        rows = (
            [
                o.order_no,
                o.kind,
                o.status,
                o.company_id,
                o.amount_minor,
                o.currency,
                o.method or "",
                bool(o.auto),
                isoformat(o.created_at),
                isoformat(o.paid_at) or "",
            ]
            for o in session.execute(query.execution_options(yield_per=5000))
        )
        return export_response(args["format"], "orders", EXPORT_HEADER, rows, session)


@order_records.route("/<order_id>")
class OrderById(MethodView):
    @require(*EVERYONE)
    @order_records.response(200, schemas.OrderDetail)
    def get(self, order_id: str) -> dict[str, Any]:
        """One order with its items (expiry before/after for renewals) and payments."""
        orders.require_order(db(), caller(), order_id)
        return orders.order_detail(db(), order_id)


@order_records.route("/<order_id>/payments")
class OrderPayments(MethodView):
    @idempotent
    @require(CUSTOMER)
    @order_records.arguments(schemas.PaymentIn)
    @order_records.response(201, schemas.PaymentStarted)
    def post(self, body: dict[str, Any], order_id: str) -> dict[str, Any]:
        """Pay an order: `balance` pays at once (409 `insufficient_balance`); wechat/alipay/paypal redirect."""
        return payments.pay_order(uow(), caller(), order_id, body["method"], payment_provider())
