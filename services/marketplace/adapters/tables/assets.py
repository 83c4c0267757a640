"""A reseller's assets: coupons, the rebate ledger, the credit line with its ledger, bills and codes."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Date, Integer, String, Table, Text, UniqueConstraint

from services.marketplace.adapters.tables import Id, Time, metadata

coupons = Table(
    "coupons",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("min_amount_minor", Integer, nullable=False),
    Column("min_quantity", Integer, nullable=False),
    Column("solution_ids", JSON, nullable=False),
    Column("region", String(60), nullable=True),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Column("order_id", Id(), nullable=True),
    Column("used_at", Time(), nullable=True),
    Column("issued_by", String(64), nullable=True),
    Column("created_at", Time(), nullable=False),
)

rebate_accounts = Table(
    "rebate_accounts",
    metadata,
    Column("reseller_id", String(64), primary_key=True),
    Column("balance_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    CheckConstraint("balance_minor >= 0", name="ck_rebate_balance_not_negative"),
)

rebate_entries = Table(
    "rebate_entries",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("balance_after_minor", Integer, nullable=False),
    Column("order_id", Id(), nullable=True),
    Column("period", String(10), nullable=True),
    Column("created_at", Time(), nullable=False),
    Column("reason", Text, nullable=True),
    Column("created_by", String(64), nullable=True),
    UniqueConstraint("reseller_id", "period", name="uq_rebate_reward_period"),
)

credit_lines = Table(
    "credit_lines",
    metadata,
    Column("reseller_id", String(64), primary_key=True),
    Column("limit_minor", Integer, nullable=False),
    Column("owed_minor", Integer, nullable=False),
    Column("term_days", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("updated_at", Time(), nullable=False),
    CheckConstraint("owed_minor >= 0 AND owed_minor <= limit_minor", name="ck_credit_within_limit"),
)

credit_entries = Table(
    "credit_entries",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("available_after_minor", Integer, nullable=False),
    Column("order_id", Id(), nullable=True),
    Column("bill_id", Id(), nullable=True),
    Column("reference", String(120), nullable=True),
    Column("created_at", Time(), nullable=False, index=True),
)

credit_bills = Table(
    "credit_bills",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("bill_no", String(32), nullable=False, unique=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("period", String(7), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("repaid_minor", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("created_at", Time(), nullable=False),
    UniqueConstraint("reseller_id", "period", name="uq_credit_bill_period"),
    CheckConstraint("repaid_minor <= amount_minor", name="ck_bill_not_overpaid"),
)

credit_codes = Table(
    "credit_codes",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("user_id", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("expires_at", Time(), nullable=False),
    Column("used_at", Time(), nullable=True),
    Column("created_at", Time(), nullable=False),
)

statements = Table(
    "statements",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("statement_no", String(32), nullable=False, unique=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("period", String(7), nullable=False),
    Column("order_count", Integer, nullable=False),
    Column("solution_count", Integer, nullable=False),
    Column("sales", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", Time(), nullable=False),
    UniqueConstraint("reseller_id", "period", name="uq_statement_period"),
)
