"""HTTP endpoints of the entitlements service (flask-smorest blueprints, one per resource)."""
from __future__ import annotations

from flask_smorest import Blueprint

from services.entitlements.entrypoints import (
    allocations,
    change_requests,
    dashboard,
    digital_invoice,
    enterprises,
    labels,
    orders,
    products,
    usage,
)


def blueprints() -> list[Blueprint]:
    return [products.blp, orders.blp, enterprises.blp, enterprises.registrations, allocations.blp, usage.blp, dashboard.blp,
            digital_invoice.blp, change_requests.blp, labels.blp]
