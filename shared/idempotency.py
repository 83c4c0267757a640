"""`Idempotency-Key` for POSTs with a money or usage effect (Stripe's semantics).

The key row is claimed at the start of the request's transaction with one `INSERT … ON CONFLICT DO
NOTHING` (a single round trip; a racing twin waits on the unique key until the first transaction ends,
then finds the key taken and replays what was stored); the first response is stored in the same
transaction as the effect. The
same key with the same body replays that response; with another body it is 422
`idempotency_key_reused`. A request that fails (4xx/5xx) stores nothing, so it may be retried.
Keys are kept 48 hours (`purge_expired`, run by each worker).
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, request
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.clock import utcnow
from shared.errors import Problem

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=48)


def key_of_request() -> tuple[str, str, str] | None:
    """(scope, key, request hash) of the current request for a view that stores its idempotency record itself
    (entitlements' usage fast path does it inside one PostgreSQL function); None without the header.
    A key of the wrong length raises the same 422 as `idempotent`."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not (1 <= len(key) <= 200):
        raise Problem(422, "validation_failed", "Idempotency-Key must be 1-200 characters", errors={HEADER: ["length 1-200"]})
    return _scope(), key, _request_hash()


def replay_response(status: int, body: str) -> Response:
    """A stored response answered again, as `idempotent` answers it."""
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _scope() -> str:
    from shared.auth import optional_principal

    principal = optional_principal()
    if principal:
        return scope_of(principal.org_id, principal.sub, request.method, request.path)
    return f"anon:{request.remote_addr}:{request.method}:{request.path}"[:200]


def scope_of(org_id: str | None, sub: str, method: str, path: str) -> str:
    """Whose key it is: the caller, the method and the path (keys of different callers never meet)."""
    return f"{org_id}:{sub}:{method}:{path}"[:200]


def hash_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _request_hash() -> str:
    return hash_of(request.get_data(cache=True))


def _stored(session: Session, table: Any, scope: str, key: str) -> Any:
    return session.execute(
        select(table.c.request_hash, table.c.status_code, table.c.response_body).where(
            table.c.scope == scope, table.c.key == key
        )
    ).first()


@functools.cache
def _claim_statement(table: Any) -> Any:
    """Built once per table (like `_store_statement`), so SQLAlchemy computes the cache key once, not per request."""
    statement = insert(table).values(
        scope=bindparam("scope"), key=bindparam("key"), request_hash=bindparam("request_hash"), created_at=bindparam("created_at")
    )
    return statement.on_conflict_do_nothing(index_elements=[table.c.scope, table.c.key]).returning(table.c.key)


@functools.cache
def _store_statement(table: Any) -> Any:
    return (
        update(table)
        .where(table.c.scope == bindparam("of_scope"), table.c.key == bindparam("of_key"))
        .values(status_code=bindparam("answered_status"), response_body=bindparam("answered_body"))
    )


def _claim(session: Session, table: Any, scope: str, key: str, request_hash: str) -> bool:
    """Insert the key row unless the key is taken; True when this request claimed it."""
    statement = _claim_statement(table)
    parameters = {"scope": scope, "key": key, "request_hash": request_hash, "created_at": utcnow()}
    return session.execute(statement, parameters).first() is not None


def _replay(row: Any, request_hash: str) -> Response:
    if row.request_hash != request_hash:
        raise Problem(422, "idempotency_key_reused", "this Idempotency-Key was used with a different request body")
    return replay_response(row.status_code, row.response_body)


def idempotent(view: Callable) -> Callable:
    """Outermost decorator of a POST view (above flask-smorest's decorators)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from shared.web import current_context, db

        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not (1 <= len(key) <= 200):
            raise Problem(422, "validation_failed", "Idempotency-Key must be 1-200 characters", errors={HEADER: ["length 1-200"]})
        table = current_context().tables.idempotency_keys
        session = db()
        scope, request_hash = _scope(), _request_hash()
        if not _claim(session, table, scope, key, request_hash):
            row = _stored(session, table, scope, key)
            if row is None or row.status_code is None:
                raise Problem(409, "idempotency_request_in_progress", "a request with this key is in progress")
            return _replay(row, request_hash)
        response = view(*args, **kwargs)
        if not isinstance(response, Response):
            from flask import make_response

            response = make_response(response)
        if response.status_code < 400:
            session.execute(_store_statement(table), {
                "of_scope": scope, "of_key": key, "answered_status": response.status_code, "answered_body": response.get_data(as_text=True)
            })
        return response

    return wrapper


def purge_expired(session: Session, table: Any) -> int:
    result = session.execute(delete(table).where(table.c.created_at < utcnow() - RETENTION))
    return result.rowcount or 0
