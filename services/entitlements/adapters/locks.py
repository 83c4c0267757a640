"""Serialising work on one business key inside a transaction.

PostgreSQL takes a transaction-scoped advisory lock on the key's hash (released at commit or
rollback), so two transactions that create the same not-yet-existing row queue instead of racing.
SQLite needs nothing: every transaction there starts with BEGIN IMMEDIATE and writers are serial.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.db import is_postgres


def serialise_on(session: Session, key: str) -> None:
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
