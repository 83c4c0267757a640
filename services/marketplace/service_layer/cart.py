"""The cart of one user (购物车), and purchase parameters reusable from the reseller's order history."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, desc, select, update

from services.marketplace.adapters.orm import cart_items, order_lines, orders, skus, solutions
from services.marketplace.domain.pricing import MAX_LINE_QUANTITY
from services.marketplace.service_layer.common import Channel, new_id, one_or_404, scoped
from shared.errors import Problem
from shared.uow import UnitOfWork

HISTORY_LIMIT = 10


def sellable_sku(uow: UnitOfWork, sku_code: str) -> Any:
    """An active SKU of a published solution, with its solution's name, tax rate and entitlements."""
    return one_or_404(uow.session, select(
        skus, solutions.c.name.label("solution_name"), solutions.c.tax_rate_bp, solutions.c.entitlements,
    ).join(solutions, solutions.c.id == skus.c.solution_id).where(
        skus.c.code == sku_code, skus.c.active.is_(True), solutions.c.published.is_(True)), "SKU")


def add_to_cart(uow: UnitOfWork, channel: Channel, sku_code: str, quantity: int, params: dict[str, Any]) -> str:
    sku = sellable_sku(uow, sku_code)
    same = uow.session.execute(select(cart_items).where(
        cart_items.c.user_id == channel.user_id, cart_items.c.sku_id == sku.id)).all()
    for item in same:
        if item.params == params:
            _check_quantity(item.quantity + quantity)
            uow.session.execute(update(cart_items).where(cart_items.c.id == item.id).values(quantity=item.quantity + quantity))
            return item.id
    item_id = new_id()
    uow.session.execute(cart_items.insert().values(
        id=item_id, user_id=channel.user_id, reseller_id=channel.reseller_id, sku_id=sku.id, quantity=quantity,
        params=params, created_at=uow.clock.now()))
    return item_id


def _check_quantity(quantity: int) -> None:
    if quantity > MAX_LINE_QUANTITY:
        raise Problem(422, "quantity_too_large", f"at most {MAX_LINE_QUANTITY} per line", errors={"quantity": ["too large"]})


def change_item(uow: UnitOfWork, channel: Channel, item_id: str, changes: dict[str, Any]) -> None:
    _item_of(uow, channel, item_id)
    uow.session.execute(update(cart_items).where(cart_items.c.id == item_id).values(**changes))


def remove_item(uow: UnitOfWork, channel: Channel, item_id: str) -> None:
    _item_of(uow, channel, item_id)
    uow.session.execute(delete(cart_items).where(cart_items.c.id == item_id))


def _item_of(uow: UnitOfWork, channel: Channel, item_id: str) -> Any:
    return one_or_404(uow.session, select(cart_items).where(
        cart_items.c.id == item_id, cart_items.c.user_id == channel.user_id), "cart item")


def cart_lines(uow: UnitOfWork, channel: Channel, item_ids: list[str] | None = None, *, for_checkout: bool = False) -> list[Any]:
    """The user's cart (or the given items of it). `for_checkout` locks the items (PostgreSQL: `FOR UPDATE OF
    cart_items`, in the listed order), so of racing checkouts of one cart the first takes the items and the
    others, waiting on the lock, find them gone."""
    query = select(
        cart_items.c.id, cart_items.c.quantity, cart_items.c.params, skus.c.code.label("sku_code"),
        skus.c.name.label("sku_name"), skus.c.price_minor, skus.c.currency, skus.c.region, skus.c.active,
        solutions.c.id.label("solution_id"), solutions.c.name.label("solution_name"), solutions.c.published,
    ).join(skus, skus.c.id == cart_items.c.sku_id).join(solutions, solutions.c.id == skus.c.solution_id).where(
        cart_items.c.user_id == channel.user_id).order_by(cart_items.c.created_at, skus.c.code, cart_items.c.id)
    if item_ids is not None:
        query = query.where(cart_items.c.id.in_(item_ids))
    if for_checkout:
        query = query.with_for_update(of=cart_items)
    return list(uow.session.execute(query))


def clear_items(uow: UnitOfWork, channel: Channel, item_ids: list[str]) -> None:
    """Remove the checked-out items; if any is gone already another checkout took it (409, nothing changes)."""
    removed = uow.session.execute(delete(cart_items).where(cart_items.c.user_id == channel.user_id, cart_items.c.id.in_(item_ids)))
    if removed.rowcount != len(set(item_ids)):
        raise Problem(409, "cart_changed", "the cart changed meanwhile (another checkout took these items); look at it again")


def params_history(uow: UnitOfWork, channel: Channel, sku_code: str) -> list[dict[str, Any]]:
    """Distinct purchase parameters used with this SKU in the channel's orders, newest first (从历史选择)."""
    rows = uow.session.execute(
        scoped(select(order_lines.c.params), orders, channel).join(orders, orders.c.id == order_lines.c.order_id)
        .where(order_lines.c.sku_code == sku_code).order_by(desc(orders.c.created_at)).limit(200)
    ).scalars()
    seen: list[dict[str, Any]] = []
    for params in rows:
        if params and params not in seen:
            seen.append(params)
        if len(seen) == HISTORY_LIMIT:
            break
    return seen
