"""Solutions and SKUs, reviews, consultation tickets and trial requests."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from services.marketplace.adapters.tables import Id, Time, metadata

solutions = Table(
    "solutions",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(40), nullable=False, index=True),
    Column("summary", String(1000), nullable=False),
    Column("overview", Text, nullable=True),
    Column("cases", JSON, nullable=False),
    Column("resources", JSON, nullable=False),
    Column("support", JSON, nullable=False),
    Column("similar_ids", JSON, nullable=False),
    Column("entitlements", JSON, nullable=False),
    Column("tax_rate_bp", Integer, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("sales_count", Integer, nullable=False, default=0),
    Column("rating_sum", Integer, nullable=False, default=0),
    Column("rating_count", Integer, nullable=False, default=0),
    Column("created_at", Time(), nullable=False),
    Column("updated_at", Time(), nullable=False),
)
Index("ix_solutions_hot", solutions.c.sales_count, solutions.c.rating_count)

skus = Table(
    "skus",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("solution_id", Id(), ForeignKey("solutions.id"), nullable=False, index=True),
    Column("code", String(80), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("region", String(60), nullable=False),
    Column("active", Boolean, nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("solution_id", Id(), ForeignKey("solutions.id"), nullable=False, index=True),
    Column("order_id", Id(), nullable=False),
    Column("reseller_id", String(64), nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("comment", String(1000), nullable=True),
    Column("created_at", Time(), nullable=False),
    UniqueConstraint("order_id", "solution_id", name="uq_reviews_order_solution"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=True, index=True),
    Column("solution_id", Id(), nullable=True),
    Column("service_type", String(60), nullable=False),
    Column("category", String(60), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("details", String(300), nullable=False),
    Column("name", String(100), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("email", String(254), nullable=False),
    Column("company", String(200), nullable=False),
    Column("attachment_id", Id(), nullable=True),
    Column("created_at", Time(), nullable=False),
)

trials = Table(
    "trials",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("solution_id", Id(), ForeignKey("solutions.id"), nullable=False),
    Column("reseller_id", String(64), nullable=True, index=True),
    Column("name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("company", String(200), nullable=False),
    Column("remark", String(500), nullable=True),
    Column("created_at", Time(), nullable=False),
)
