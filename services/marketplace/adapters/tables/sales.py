"""Customers, carts, orders with their lines and milestones, and payments."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from services.marketplace.adapters.tables import Id, Time, metadata

customers = Table(
    "customers",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("dealer_org_id", String(64), nullable=True),
    Column("name", String(100), nullable=False),
    Column("company", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("address", String(300), nullable=True),
    Column("tenant_id", String(64), nullable=True),
    Column("created_at", Time(), nullable=False),
    Column("updated_at", Time(), nullable=False),
)

cart_items = Table(
    "cart_items",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("reseller_id", String(64), nullable=False),
    Column("sku_id", Id(), ForeignKey("skus.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("params", JSON, nullable=False),
    Column("created_at", Time(), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("order_no", String(32), nullable=False, unique=True),
    Column("contract_no", String(32), nullable=False, unique=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("dealer_org_id", String(64), nullable=True),
    Column("buyer_id", String(64), nullable=False),
    Column("buyer_email", String(254), nullable=True),
    Column("customer_id", Id(), ForeignKey("customers.id"), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("customer_label", String(320), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("payment_method", String(20), nullable=False),
    Column("payment_status", String(30), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal_minor", Integer, nullable=False),
    Column("coupon_id", Id(), nullable=True),
    Column("coupon_minor", Integer, nullable=False),
    Column("rebate_minor", Integer, nullable=False),
    Column("total_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("expected_close_date", Date, nullable=True),
    Column("remark", String(150), nullable=True),
    Column("accept_contract", Boolean, nullable=False),
    Column("invoice", JSON, nullable=True),
    Column("created_at", Time(), nullable=False, index=True),
    Column("paid_at", Time(), nullable=True),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("order_id", Id(), ForeignKey("orders.id"), nullable=False, index=True),
    Column("sku_id", Id(), nullable=False),
    Column("sku_code", String(80), nullable=False),
    Column("sku_name", String(200), nullable=False),
    Column("solution_id", Id(), nullable=False),
    Column("solution_name", String(200), nullable=False),
    Column("region", String(60), nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tax_rate_bp", Integer, nullable=False),
    Column("params", JSON, nullable=False),
    Column("entitlements", JSON, nullable=False),
)

order_milestones = Table(
    "order_milestones",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("order_id", Id(), ForeignKey("orders.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("note", String(300), nullable=True),
    Column("actor_id", String(64), nullable=True),
    Column("at", Time(), nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("order_id", Id(), nullable=True, index=True),
    Column("bill_id", Id(), nullable=True, index=True),
    Column("method", String(20), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(30), nullable=False),
    Column("transfer", JSON, nullable=True),
    Column("provider_ref", String(80), nullable=True),
    Column("created_at", Time(), nullable=False),
    Column("completed_at", Time(), nullable=True),
)
# What the sandbox provider was told at its payment page, until the worker has delivered the signed
# callback (never inside the payer's request: services/marketplace/README.md).
sandbox_notices = Table(
    "sandbox_notices",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("payment_id", Id(), ForeignKey("payments.id"), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),
    Column("created_at", Time(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Time(), nullable=False),
    Column("delivered_at", Time(), nullable=True),
    Column("answer_status", Integer, nullable=True),
)
Index("ix_orders_reseller_created", orders.c.reseller_id, orders.c.created_at)

payment_refunds = Table(
    "payment_refunds",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("payment_id", Id(), nullable=False, unique=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("order_id", Id(), nullable=True),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("refund_ref", String(120), nullable=False),
    Column("reason", Text, nullable=False),
    Column("refunded_by", String(64), nullable=True),
    Column("created_at", Time(), nullable=False),
)
