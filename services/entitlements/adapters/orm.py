"""The entitlements service's tables (its database and nobody else's)."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from shared.db import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

Id = String(36)
TenantId = String(64)

tenants = Table(
    "tenants",
    metadata,
    Column("id", TenantId, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("contact_email", String(254), nullable=True),
    Column("contact_phone", String(32), nullable=True),
    Column("status", String(20), nullable=True),
    Column("language", String(10), nullable=True),
    Column("admin_user_id", String(64), nullable=True),
    Column("admin_username", String(254), nullable=True),
    Column("created_at", String(40), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("service_group", String(40), nullable=True),
    Column("traffic_category", String(40), nullable=True),
    Column("units_per_use", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_no", String(40), nullable=False, unique=True),
    Column("tenant_id", TenantId, nullable=False, index=True),
    Column("source", String(20), nullable=False),
    Column("source_ref", String(120), nullable=True),
    Column("status", String(20), nullable=False),
    Column("erp", String(20), nullable=True),
    Column("deployment", String(20), nullable=True),
    Column("activated_at", DateTime(timezone=True), nullable=True),
    Column("activated_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=True),
    UniqueConstraint("source", "source_ref", name="uq_orders_source_ref"),
)

operation_keys = Table(
    "operation_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id, primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("tenant_id", TenantId, nullable=False),
    Column("product_code", String(64), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("service_group", String(40), nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("allocated", Integer, nullable=False, server_default="0"),
    Column("remaining", Integer, nullable=False, server_default="0"),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("serial_number", String(64), nullable=False, unique=True),
    Column("activated", Boolean, nullable=False, server_default=false()),
)
Index("ix_order_lines_pool", order_lines.c.tenant_id, order_lines.c.product_code, order_lines.c.valid_to)
Index("ix_order_lines_valid_to", order_lines.c.valid_to)

enterprises = Table(
    "enterprises",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", TenantId, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("tax_id", String(20), nullable=False, unique=True),
    Column("registration", JSON, nullable=True),
    Column("first_allocated_at", DateTime(timezone=True), nullable=True),
    Column("api_client_id", String(120), nullable=True),
    Column("api_client_issued_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", TenantId, nullable=False),
    Column("order_line_id", Id, ForeignKey("order_lines.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("service_group", String(40), nullable=True),
    Column("source", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("allocated_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
)
Index("ix_allocations_line", allocations.c.order_line_id, allocations.c.status)
# Also the order of the allocation lists (the dashboard shows the first page of 10,000 and more).
Index("ix_allocations_tenant", allocations.c.tenant_id, allocations.c.status, allocations.c.allocated_at, allocations.c.id)
Index(
    "uq_allocations_active_seat",
    allocations.c.order_line_id,
    allocations.c.enterprise_id,
    unique=True,
    postgresql_where=text("status = 'active'"),
)

license_grants = Table(
    "license_grants",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", TenantId, nullable=False),
    Column("tax_id", String(20), nullable=False),
    Column("service_group", String(40), nullable=False),
    Column("request_id", String(120), nullable=False, index=True),
    Column("allocation_id", Id, ForeignKey("allocations.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
)
Index(
    "uq_license_grants_held",
    license_grants.c.tenant_id,
    license_grants.c.tax_id,
    license_grants.c.service_group,
    unique=True,
    postgresql_where=text("status = 'held'"),
)

usage_ledger = Table(
    "usage_ledger",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("tenant_id", TenantId, nullable=False),
    Column("product_code", String(64), nullable=False),
    Column("tax_id", String(20), nullable=True),  # null: tenant-level traffic (SMS drawn by the notifier)
    Column("units", Integer, nullable=False),
    Column("reference", String(120), nullable=True),
    Column("order_line_id", Id, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
)
Index("ix_usage_ledger_tenant", usage_ledger.c.tenant_id, usage_ledger.c.product_code, usage_ledger.c.used_at)

usage_daily = Table(
    "usage_daily",
    metadata,
    Column("tenant_id", TenantId, primary_key=True),
    Column("product_code", String(64), primary_key=True),
    Column("tax_id", String(20), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("units", BigInteger, nullable=False),
    Column("uses", Integer, nullable=False),
)
# The dashboard's consumption details: newest days first per product (the key starts with the tax ID).
Index("ix_usage_daily_product_day", usage_daily.c.tenant_id, usage_daily.c.product_code, usage_daily.c.day)

digital_invoice_infos = Table(
    "digital_invoice_infos",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", TenantId, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("activation_code", String(40), nullable=False, unique=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("issued_by", String(64), nullable=True),
    UniqueConstraint("tenant_id", "generation", name="uq_digital_invoice_generation"),
)

change_requests = Table(
    "change_requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("tenant_id", TenantId, nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("details", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("chargeable", Boolean, nullable=False),
    Column("submitted_by", String(64), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", String(64), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("review_comment", Text, nullable=True),
    Column("outcome", JSON, nullable=True),
)

expiry_notices = Table(
    "expiry_notices",
    metadata,
    Column("order_line_id", Id, primary_key=True),
    Column("threshold", String(10), primary_key=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)
