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
    event,
)
from sqlalchemy.orm import Session, sessionmaker

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """An engine for `url`. PostgreSQL: `DB_POOL_SIZE` (default 5) kept connections and `DB_MAX_OVERFLOW`
    (default 10) more under bursts, per process; size them so that every process of every service fits
    the server's `max_connections` (the entitlements API also keeps one usage fast-path connection per
    request thread, services/entitlements/README.md)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_transactions_take_the_write_lock(engine)
        return engine
    size = int(os.environ.get("DB_POOL_SIZE", "5")) if pool_size is None else pool_size
    overflow = int(os.environ.get("DB_MAX_OVERFLOW", "10"))
    return create_engine(url, pool_size=size, max_overflow=overflow, pool_pre_ping=True)


def _sqlite_transactions_take_the_write_lock(engine: Engine) -> None:
    """pysqlite's lazy BEGIN lets two writers read the same row and one fail to upgrade its lock; with
    BEGIN IMMEDIATE, writers queue (busy timeout) and read-modify-write stays correct."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


def is_postgres(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


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
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
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
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
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
