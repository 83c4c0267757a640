"""The cart of the logged-in user and purchase parameters from history."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.marketplace.entrypoints.access import current_channel, resellers_only
from services.marketplace.entrypoints.schemas.sales import Cart, CartItemChanges, CartItemInput, ParamsHistory, ParamsQuery
from services.marketplace.service_layer import cart
from shared.web import uow

blp = Blueprint("cart", __name__, url_prefix="/marketplace/v1", description="Cart (购物车)")


def _cart() -> dict[str, Any]:
    items, sums = [], defaultdict(int)
    for line in cart.cart_lines(uow(), current_channel()):
        available = bool(line.active and line.published)
        amount = line.price_minor * line.quantity
        if available:
            sums[line.currency] += amount
        items.append({**line._mapping, "amount_minor": amount, "available": available})
    return {"items": items, "totals": dict(sums)}


@blp.route("/cart")
class CartView(MethodView):
    @resellers_only()
    @blp.response(200, Cart)
    def get(self) -> dict[str, Any]:
        """Your cart with line amounts and subtotals per currency"""
        return _cart()


@blp.route("/cart/items")
class CartItems(MethodView):
    @resellers_only()
    @blp.arguments(CartItemInput)
    @blp.response(201, Cart)
    def post(self, item: dict[str, Any]) -> dict[str, Any]:
        """Add a SKU to the cart (the same SKU with the same parameters adds up)"""
        cart.add_to_cart(uow(), current_channel(), item["sku_code"], item["quantity"], item["params"])
        return _cart()


@blp.route("/cart/items/<item_id>")
class CartItem(MethodView):
    @resellers_only()
    @blp.arguments(CartItemChanges)
    @blp.response(200, Cart)
    def patch(self, changes: dict[str, Any], item_id: str) -> dict[str, Any]:
        """Change a cart line's quantity or purchase parameters"""
        cart.change_item(uow(), current_channel(), item_id, changes)
        return _cart()

    @resellers_only()
    @blp.response(200, Cart)
    def delete(self, item_id: str) -> dict[str, Any]:
        """Remove a line from the cart"""
        cart.remove_item(uow(), current_channel(), item_id)
        return _cart()


@blp.route("/purchase-params")
class PurchaseParams(MethodView):
    @resellers_only()
    @blp.arguments(ParamsQuery, location="query")
    @blp.response(200, ParamsHistory)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Purchase parameters used before with this SKU (从历史选择)"""
        return {"items": cart.params_history(uow(), current_channel(), args["sku_code"])}
