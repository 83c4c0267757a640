"""Reseller applications, their stored files, the organisation read model, profiles, dealers, channel users."""
from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from services.marketplace.adapters.tables import Id, Time, metadata

reseller_applications = Table(
    "reseller_applications",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("company", String(200), nullable=False),
    Column("business_owner", String(120), nullable=False),
    Column("contact_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("position", String(100), nullable=False),
    Column("address", String(300), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("tier", String(20), nullable=True),
    Column("review_comment", String(500), nullable=True),
    Column("reviewed_by", String(64), nullable=True),
    Column("reviewed_at", Time(), nullable=True),
    Column("reseller_id", String(64), nullable=True, unique=True),
    Column("created_at", Time(), nullable=False),
)

stored_files = Table(
    "stored_files",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("owner_type", String(40), nullable=False),
    Column("owner_id", Id(), nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("media_type", String(60), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_path", String(400), nullable=False),
    Column("created_at", Time(), nullable=False),
)
Index("ix_stored_files_owner", stored_files.c.owner_type, stored_files.c.owner_id)

organisations = Table(
    "organisations",
    metadata,
    Column("org_id", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(64), nullable=True, index=True),
    Column("status", String(20), nullable=True),
    Column("contact_email", String(254), nullable=True),
    Column("contact_phone", String(32), nullable=True),
    Column("external_ref", String(120), nullable=True),
    Column("updated_at", Time(), nullable=False),
)

reseller_profiles = Table(
    "reseller_profiles",
    metadata,
    Column("reseller_id", String(64), primary_key=True),
    Column("application_id", Id(), ForeignKey("reseller_applications.id"), nullable=True),
    Column("tier", String(20), nullable=False),
    Column("tier_changed_at", Time(), nullable=False),
)

dealers = Table(
    "dealers",
    metadata,
    Column("id", Id(), primary_key=True),
    Column("reseller_id", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("contact_name", String(100), nullable=True),
    Column("contact_email", String(254), nullable=True),
    Column("contact_phone", String(32), nullable=True),
    Column("address", String(300), nullable=True),
    Column("region", String(60), nullable=True),
    Column("status", String(20), nullable=False),
    Column("org_id", String(64), nullable=True, unique=True),
    Column("created_at", Time(), nullable=False),
)

channel_users = Table(
    "channel_users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("org_kind", String(20), nullable=True),
    Column("email", String(254), nullable=True),
    Column("name", String(100), nullable=True),
    Column("roles", JSON, nullable=False),
    Column("invited_at", Time(), nullable=False),
    Column("note", Text, nullable=True),
    Column("status", String(20), nullable=False, server_default="invited"),
    Column("phone", String(32), nullable=True),
    Column("last_login_at", Time(), nullable=True),
    Column("identity_as_of", Time(), nullable=True),
)
