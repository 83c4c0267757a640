"""The notifier service's tables (its database and nobody else's).

`messages` is the message log (bodies with secrets masked, and for an SMS of a tenant whether its
SMS traffic was drawn); `message_contents` keeps, encrypted, the
real text of a message until it has been sent; `organisation_preferences` holds each organisation's
message language and extra notification addresses.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
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

messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("org_id", String(64), nullable=True),
    Column("tenant_id", String(64), nullable=True),  # the event's tenant: whose SMS traffic pays for an SMS
    Column("template", String(160), nullable=False),
    Column("language", String(8), nullable=False),
    Column("subject", String(400), nullable=True),
    Column("body", Text, nullable=False),
    Column("has_secrets", Boolean, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("traffic", String(12), nullable=True),  # SMS of a tenant: billed / not_billed, once decided
    Column("traffic_note", String(64), nullable=True),  # why not billed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("event_id", "channel", "recipient", name="uq_messages_event_channel_recipient"),
)
Index("ix_messages_due", messages.c.status, messages.c.next_attempt_at)
Index("ix_messages_created_at", messages.c.created_at)

message_contents = Table(
    "message_contents",
    metadata,
    Column("message_id", String(36), ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("nonce", LargeBinary(12), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
)

organisation_preferences = Table(
    "organisation_preferences",
    metadata,
    Column("org_id", String(64), primary_key=True),
    Column("language", String(8), nullable=True),
    Column("emails", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
