"""The marketplace service's tables (its database and nobody else's), collected for Alembic and the code."""
from __future__ import annotations

from services.marketplace.adapters.tables import metadata, platform
from services.marketplace.adapters.tables.assets import (
    coupons,
    credit_bills,
    credit_codes,
    credit_entries,
    credit_lines,
    rebate_accounts,
    rebate_entries,
    statements,
)
from services.marketplace.adapters.tables.catalog import reviews, skus, solutions, tickets, trials
from services.marketplace.adapters.tables.resellers import (
    channel_users,
    dealers,
    organisations,
    reseller_applications,
    reseller_profiles,
    stored_files,
)
from services.marketplace.adapters.tables.sales import (
    cart_items,
    customers,
    order_lines,
    order_milestones,
    orders,
    payment_refunds,
    payments,
    sandbox_notices,
)

__all__ = [
    "cart_items", "channel_users", "coupons", "credit_bills", "credit_codes", "credit_entries", "credit_lines",
    "customers", "dealers", "metadata", "order_lines", "order_milestones", "orders", "organisations", "payment_refunds", "payments",
    "platform", "rebate_accounts", "rebate_entries", "reseller_applications", "reseller_profiles", "reviews",
    "sandbox_notices", "skus", "solutions", "statements", "stored_files", "tickets", "trials",
]
