"""Orders: delivery by platform staff, activation by the tenant, `/entitlements/v1/orders`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.callers import caller_tenant, policy, tenant_scope
from services.entitlements.entrypoints.schemas import ActivationIn, OrderIn, OrderListArgs, OrderOut, OrderPage
from services.entitlements.service_layer import orders as handlers
from shared.auth import current_principal, require
from shared.errors import Problem
from shared.web import db, page_of, uow

blp = Blueprint("orders", __name__, url_prefix="/entitlements/v1/orders", description="Orders delivered to tenants")

DELIVERERS = ("platform_admin", "sales")


def _staff_only() -> None:
    if not current_principal().is_platform_staff:
        raise Problem(403, "forbidden", "platform staff only")


@blp.route("")
class Orders(MethodView):
    @require(*DELIVERERS)
    @blp.arguments(OrderIn)
    @blp.response(201, OrderOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Deliver an order to a tenant (mails the activation link and operation key)"""
        _staff_only()
        return handlers.deliver_order(uow(), policy(), tenant_id=body["tenant_id"], lines=body["lines"], source=body["source"])

    @require("tenant_admin", "platform_admin", "sales", "support", "finance")
    @blp.arguments(OrderListArgs, location="query")
    @blp.response(200, OrderPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List orders (the tenant's own; staff: all or ?tenant_id=; ?order_no= finds one by its number)"""
        principal = current_principal()
        tenant_id = tenant_scope(principal, args["tenant_id"])
        if args["unallocated"]:
            if tenant_id is None:
                raise Problem(422, "validation_failed", "name a tenant", errors={"tenant_id": ["required with unallocated"]})
            query = handlers.unallocated_orders_query(tenant_id, uow().clock.today())
            if args["status"] or args["order_no"]:
                query = handlers.filtered_orders(query, args["status"], args["order_no"])
        else:
            query = handlers.orders_query(tenant_id, args["status"], args["order_no"])
        page = page_of(db(), query, args["page"], args["page_size"])
        return {**page, "items": [handlers.order_summary(row._mapping) for row in page["items"]]}


@blp.route("/activate")
class Activation(MethodView):
    @require("tenant_admin")
    @blp.arguments(ActivationIn)
    @blp.response(200, OrderOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Activate an order with its operation key, choosing ERP and deployment"""
        return handlers.activate_order(uow(), tenant_id=caller_tenant(), **body)


@blp.route("/<order_id>")
class Order(MethodView):
    @require("tenant_admin", "platform_admin", "sales", "support", "finance")
    @blp.response(200, OrderOut)
    def get(self, order_id: str) -> dict[str, Any]:
        """One order with its lines"""
        return handlers.get_order(db(), order_id, tenant_scope(current_principal()))


@blp.route("/<order_id>/resend-activation")
class ActivationResend(MethodView):
    @require("platform_admin", "sales", "support")
    @blp.response(200, OrderOut)
    def post(self, order_id: str) -> dict[str, Any]:
        """Mail a new operation key (the previous one stops working)"""
        _staff_only()
        return handlers.resend_activation(uow(), policy(), order_id)
