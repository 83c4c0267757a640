"""Database plumbing every service shares: engines, sessions, and the platform tables.

Each service owns one database and one `MetaData`; `platform_tables(metadata)` adds the outbox, inbox,
idempotency-key and audit tables to it, so they migrate with the service's own schema.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """An engine for the PostgreSQL database at `url`: `DB_POOL_SIZE` (default 5) kept connections and
    `DB_MAX_OVERFLOW` (default 10) more under bursts, per process; size them so that every process of every
    service fits the server's `max_connections` (the entitlements API also keeps one usage fast-path
    connection per request thread, services/entitlements/README.md)."""
    size = int(os.environ.get("DB_POOL_SIZE", "5")) if pool_size is None else pool_size
    overflow = int(os.environ.get("DB_MAX_OVERFLOW", "10"))
    return create_engine(url, pool_size=size, max_overflow=overflow, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@dataclass(frozen=True)
class PlatformTables:
    outbox: Table
    inbox: Table
    idempotency_keys: Table
    audit_log: Table


def platform_tables(metadata: MetaData) -> PlatformTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(120), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )
    Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.id)
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Column("actor_id", String(64), nullable=True),
        Column("actor_org_id", String(64), nullable=True),
        Column("action", String(120), nullable=False),
        Column("target_type", String(60), nullable=False),
        Column("target_id", String(120), nullable=True),
        Column("detail", JSON, nullable=True),
        Column("request_id", String(64), nullable=True),
    )
    return PlatformTables(outbox, inbox, idempotency_keys, audit_log)
