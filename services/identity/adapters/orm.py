"""The identity service's tables (its database and nobody else's)."""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from shared.db import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(36), ForeignKey("organisations.id"), nullable=True, index=True),
    Column("status", String(20), nullable=False),
    Column("contact_email", String(254), nullable=True),
    Column("contact_phone", String(32), nullable=True),
    Column("external_ref", String(200), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("username", String(254), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("name", String(100), nullable=True),
    Column("language", String(10), nullable=True),
    Column("status", String(20), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
)
# A deleted user's username may be taken again; every other user's username is unique.
Index(
    "ux_users_live_username",
    users.c.username,
    unique=True,
    postgresql_where=users.c.deleted_at.is_(None),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("role", String(40), primary_key=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("family_id", String(36), nullable=False, index=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("parent_id", String(36), nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("throttle_key", String(300), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False, index=True),
)
Index("ix_login_failures_key_time", login_failures.c.throttle_key, login_failures.c.failed_at)

# Attempts per throttle key in the current fixed window, counted with one atomic UPSERT … RETURNING
# before a password is checked (services/identity/service_layer/throttle.py).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("throttle_key", String(300), primary_key=True),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
)

login_locks = Table(
    "login_locks",
    metadata,
    Column("throttle_key", String(300), primary_key=True),
    Column("locked_until", DateTime(timezone=True), nullable=False),
)

sms_codes = Table(
    "sms_codes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("wrong_attempts", Integer, nullable=False, default=0),
)
Index("ix_sms_codes_user_time", sms_codes.c.user_id, sms_codes.c.created_at)

invitations = Table(
    "invitations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("generation", Integer, nullable=False, unique=True),
    Column("public_jwk", Text, nullable=False),
    Column("private_key_encrypted", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("activates_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)

api_clients = Table(
    "api_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("tenant_id", String(36), nullable=False, index=True),
    Column("enterprise_id", String(64), nullable=False, unique=True),
    Column("tax_id", String(32), nullable=False, index=True),
    Column("enterprise_name", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("secret_encrypted", Text, nullable=True),
    Column("encrypt_key_encrypted", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("secret_rotated_at", DateTime(timezone=True), nullable=True),
    Column("revealed_at", DateTime(timezone=True), nullable=True),
)

# Service accounts of the suite's own services (SUITE_SERVICE_CLIENTS), kept in step at every start.
service_clients = Table(
    "service_clients",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
