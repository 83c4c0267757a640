"""Single-statement reads outside the request's transaction, for the hot token path.

`POST /oauth/token` only reads: the client's digest, status, tenant and tax ID. Through the request's
session that read costs four round trips (the pool's pre-ping, BEGIN, SELECT, COMMIT) for one
statement; on an autocommit connection without pre-ping it is one. A connection the database dropped
(restart, idle kill) fails once and is replaced: SQLAlchemy invalidates it, and the read is tried once
more on a fresh one, which is safe for a read.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, create_engine
from sqlalchemy.exc import DBAPIError


def autocommit_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for `first()`: autocommit, no pre-ping."""
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=False, isolation_level="AUTOCOMMIT")


def first(engine: Engine, statement: Select[Any], params: dict[str, Any]) -> Any:
    """The first row of `statement`, read in autocommit; retried once on a connection found dead."""
    try:
        with engine.connect() as connection:
            return connection.execute(statement, params).first()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    with engine.connect() as connection:
        return connection.execute(statement, params).first()
