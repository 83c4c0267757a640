"""The billing service's tables (its database and nobody else's).

Money columns hold integer minor units next to an ISO 4217 currency. The balance row per company and
currency carries a CHECK (amount_minor >= 0) and is only changed by guarded UPDATEs in the same
transaction as its ledger entry, so the ledger always sums to the balance and never goes negative.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

companies = Table(
    "companies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(64), nullable=True, index=True),
    Column("status", String(20), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

package_categories = Table(
    "package_categories",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("type", String(20), nullable=False),
    Column("parent_code", String(40), ForeignKey("package_categories.code"), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

packages = Table(
    "packages",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("category_code", String(40), ForeignKey("package_categories.code"), nullable=False, index=True),
    Column("subcategory_code", String(40), ForeignKey("package_categories.code"), nullable=True),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("pricing", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("price_minor >= 0", name="ck_packages_price_not_negative"),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("company_id", String(64), nullable=False, index=True),
    Column("type", String(60), nullable=False),
    Column("expires_on", Date, nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("package_code", String(40), ForeignKey("packages.code"), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deactivated_at", DateTime(timezone=True), nullable=True),
)

device_value_added = Table(
    "device_value_added",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("device_id", String(64), ForeignKey("devices.device_id"), nullable=False),
    Column("package_code", String(40), ForeignKey("packages.code"), nullable=False),
    Column("order_id", String(36), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("device_id", "package_code", name="uq_device_value_added"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_no", String(32), nullable=False, unique=True),
    Column("company_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(20), nullable=True),
    Column("auto", Boolean, nullable=False, default=False),
    Column("error", String(60), nullable=True),
    Column("created_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("amount_minor >= 0", name="ck_orders_amount_not_negative"),
)
Index("ix_orders_created_at", orders.c.created_at, orders.c.id)

order_items = Table(
    "order_items",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=False, index=True),
    Column("device_id", String(64), nullable=True),
    Column("package_code", String(40), nullable=True),
    Column("months", Integer, nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("expires_before", Date, nullable=True),
    Column("expires_after", Date, nullable=True),
)

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=False, index=True),
    Column("method", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider_ref", String(80), nullable=True),
    Column("outcome", String(20), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)

# What the sandbox provider was told at its checkout page, until its worker has delivered the signed
# callback (never inside the payer's request: services/billing/README.md).
sandbox_notices = Table(
    "sandbox_notices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("payment_id", String(36), ForeignKey("payments.id"), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("answer_status", Integer, nullable=True),
)

balances = Table(
    "balances",
    metadata,
    Column("company_id", String(64), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
    CheckConstraint("amount_minor >= 0", name="ck_balances_never_negative"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("company_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "reference", name="uq_ledger_entry_once_per_reference"),
)
Index("ix_ledger_company_currency", ledger_entries.c.company_id, ledger_entries.c.currency)

offline_topups = Table(
    "offline_topups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("company_id", String(64), nullable=False, index=True),
    Column("payer", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reference", String(80), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", String(64), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("review_comment", String(500), nullable=True),
    Column("order_id", String(36), nullable=True),
    # Each edit makes a new version; finance's review names the version it approves (a submitted
    # request cannot be edited, so what is reviewed is what is credited).
    Column("version", Integer, nullable=False, server_default="1"),
)

offline_topup_history = Table(
    "offline_topup_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("topup_id", String(36), ForeignKey("offline_topups.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(64), nullable=True),
    Column("action", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("comment", String(500), nullable=True),
    Column("changes", JSON, nullable=True),
)

account_configs = Table(
    "account_configs",
    metadata,
    Column("company_id", String(64), primary_key=True),
    Column("billing_cycle", String(20), nullable=False),
    Column("auto_renew", Boolean, nullable=False),
    Column("notify", Boolean, nullable=False),
    Column("language", String(10), nullable=False),
    Column("emails", JSON, nullable=False),
    Column("next_renewal_on", Date, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

expiry_reminders = Table(
    "expiry_reminders",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("expires_on", Date, primary_key=True),
    Column("stage", Integer, primary_key=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

expiry_imports = Table(
    "expiry_imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(20), nullable=False, index=True),
    Column("filename", String(200), nullable=False),
    Column("content", LargeBinary, nullable=True),
    Column("company_id", String(64), nullable=True),
    Column("scope", String(10), nullable=False),
    Column("total_rows", Integer, nullable=True),
    Column("processed_rows", Integer, nullable=False),
    Column("applied_rows", Integer, nullable=False),
    Column("rejected_rows", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

expiry_import_rejections = Table(
    "expiry_import_rejections",
    metadata,
    Column("import_id", String(36), ForeignKey("expiry_imports.id"), primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("device_id", String(200), nullable=True),
    Column("code", String(40), nullable=False),
    Column("detail", String(300), nullable=False),
)
