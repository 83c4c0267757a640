"""HTTP endpoints of the marketplace service (flask-smorest blueprints, one per resource)."""
from __future__ import annotations

from flask_smorest import Blueprint

from services.marketplace.entrypoints import (
    applications,
    assets,
    cart,
    channel,
    customers,
    engagement,
    orders,
    payments,
    profiles,
    settlements,
    solutions,
)


def blueprints() -> list[Blueprint]:
    return [
        applications.blp, profiles.blp, solutions.blp, engagement.blp, customers.blp, channel.blp,
        cart.blp, orders.blp, payments.blp, assets.blp, settlements.blp,
    ]
