"""Failed-login throttling kept in the database, so every API worker process sees the same counts."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.identity.adapters.orm import login_failures, login_locks
from services.identity.domain.throttling import ThrottleRule, seconds_until
from services.identity.service_layer.rejections import with_headers
from shared.errors import Problem
from shared.uow import UnitOfWork


def check_not_locked(session: Session, keys: Iterable[str], now: datetime) -> None:
    """429 too_many_attempts (with Retry-After) while any of `keys` is locked."""
    until = session.execute(
        select(func.max(login_locks.c.locked_until)).where(login_locks.c.throttle_key.in_(list(keys)))
    ).scalar_one_or_none()
    if until is not None and until > now:
        problem = Problem(429, "too_many_attempts", "too many failed attempts; try again later")
        raise with_headers(problem, Retry_After=seconds_until(now, until))


def record_failure(uow: UnitOfWork, rules: dict[str, ThrottleRule]) -> None:
    """Count one failure against each key; lock a key whose rule's limit is reached."""
    now = uow.clock.now()
    for key, rule in rules.items():
        uow.session.execute(login_failures.insert().values(throttle_key=key, failed_at=now))
        recent = uow.session.execute(
            select(func.count())
            .select_from(login_failures)
            .where(login_failures.c.throttle_key == key, login_failures.c.failed_at > now - rule.window)
        ).scalar_one()
        if rule.locks_after(recent):
            _lock(uow.session, key, now + rule.lock_for)


def forget_failures(session: Session, key: str) -> None:
    session.execute(delete(login_failures).where(login_failures.c.throttle_key == key))


def purge(session: Session, now: datetime) -> None:
    session.execute(delete(login_failures).where(login_failures.c.failed_at < now - timedelta(days=1)))
    session.execute(delete(login_locks).where(login_locks.c.locked_until < now))


def _lock(session: Session, key: str, until: datetime) -> None:
    statement = insert(login_locks).values(throttle_key=key, locked_until=until)
    session.execute(statement.on_conflict_do_update(index_elements=["throttle_key"], set_={"locked_until": until}))
