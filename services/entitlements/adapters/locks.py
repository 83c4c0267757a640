"""Serialising work on one business key inside a transaction.

A transaction-scoped advisory lock on the key's hash (released at commit or rollback), so two
transactions that create the same not-yet-existing row queue instead of racing.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def serialise_on(session: Session, key: str) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
