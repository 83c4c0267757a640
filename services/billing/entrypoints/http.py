"""HTTP endpoints of the billing service (flask-smorest blueprints, one per resource)."""

from __future__ import annotations

from flask_smorest import Blueprint

from services.billing.entrypoints import (
    account_config,
    balance,
    bindings,
    catalog,
    companies,
    devices,
    expiry_imports,
    offline_topups,
    orders,
    payments,
)


def blueprints() -> list[Blueprint]:
    return [
        companies.blp,
        catalog.categories,
        catalog.packages,
        expiry_imports.blp,
        devices.blp,
        bindings.bindings,
        bindings.value_added,
        orders.renewal_orders,
        orders.order_records,
        payments.callbacks,
        payments.sandbox,
        balance.balance,
        balance.topups,
        offline_topups.blp,
        account_config.blp,
    ]
