"""Failed-login throttling kept in the database, so every API worker process sees the same counts.

Checking and counting are one atomic step: `admit` counts the attempt against each key (an account,
an address) with a single `INSERT … ON CONFLICT DO UPDATE … RETURNING attempts` in a transaction of its
own, committed before the password is checked, and refuses the attempt when a key is locked or its
count is over the rule's limit. Concurrent attempts therefore each get a different count, and no more
than the limit are ever checked in a window (before, every racing attempt read the count before any
failure was recorded: 18 were checked where 10 are allowed). An attempt that fails keeps its count
(and locks the key when it reaches the limit: `lock_if_reached`, run through `DurableRejection` after
the request rolled back); one that succeeds forgets the account's count and gives the address its
attempt back.

Windows are fixed (the first attempt opens one of `rule.window`); keys are counted in sorted order, so
two logins never wait on each other's rows in opposite orders.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.identity.adapters.orm import login_attempts, login_failures, login_locks
from services.identity.domain.throttling import ThrottleRule, seconds_until
from services.identity.service_layer.rejections import with_headers
from shared.errors import Problem
from shared.uow import UnitOfWork


def _too_many(now: datetime, until: datetime) -> Problem:
    problem = Problem(429, "too_many_attempts", "too many failed attempts; try again later")
    return with_headers(problem, Retry_After=seconds_until(now, until))


def _locked_until(session: Session, keys: Iterable[str]) -> datetime | None:
    until = session.execute(
        select(func.max(login_locks.c.locked_until)).where(login_locks.c.throttle_key.in_(list(keys)))
    ).scalar_one_or_none()
    return until


def check_not_locked(session: Session, keys: Iterable[str], now: datetime) -> None:
    """429 too_many_attempts (with Retry-After) while any of `keys` is locked."""
    until = _locked_until(session, keys)
    if until is not None and until > now:
        raise _too_many(now, until)


def admit(session: Session, rules: Mapping[str, ThrottleRule], now: datetime) -> dict[str, int]:
    """Count one attempt against each key and commit it; 429 if a key is locked or over its limit.

    `session` must be a session of its own (not the request's): what it counts stays counted whatever
    the request then does. Returns each key's count in the window, this attempt included.
    """
    with session:
        until = _locked_until(session, rules)
        if until is not None and until > now:
            session.rollback()
            raise _too_many(now, until)
        counts = {key: _count(session, key, rules[key], now) for key in sorted(rules)}
        over = [key for key, attempts in counts.items() if attempts > rules[key].max_failures]
        for key in over:
            _lock(session, key, now + rules[key].lock_for)
        session.commit()
    if over:
        raise _too_many(now, now + max(rules[key].lock_for for key in over))
    return counts


def lock_if_reached(uow: UnitOfWork, rules: Mapping[str, ThrottleRule], counts: Mapping[str, int]) -> None:
    """After a failed attempt: lock each key whose count reached its limit (the next attempt is refused)."""
    now = uow.clock.now()
    for key in sorted(rules):
        if rules[key].locks_after(counts[key]):
            _lock(uow.session, key, now + rules[key].lock_for)


def record_failure(uow: UnitOfWork, rules: Mapping[str, ThrottleRule]) -> None:
    """Count one failure against each key (atomically); lock a key whose rule's limit is reached."""
    now = uow.clock.now()
    for key in sorted(rules):
        if rules[key].locks_after(_count(uow.session, key, rules[key], now)):
            _lock(uow.session, key, now + rules[key].lock_for)


def forget_failures(session: Session, key: str) -> None:
    session.execute(delete(login_attempts).where(login_attempts.c.throttle_key == key))


def give_back(session: Session, key: str) -> None:
    """A successful attempt does not count against its key (an address shared by many users)."""
    session.execute(update(login_attempts).where(login_attempts.c.throttle_key == key, login_attempts.c.attempts > 0)
                    .values(attempts=login_attempts.c.attempts - 1))


def purge(session: Session, now: datetime) -> None:
    session.execute(delete(login_failures).where(login_failures.c.failed_at < now - timedelta(days=1)))
    session.execute(delete(login_attempts).where(login_attempts.c.window_started_at < now - timedelta(days=1)))
    session.execute(delete(login_locks).where(login_locks.c.locked_until < now))


def _count(session: Session, key: str, rule: ThrottleRule, now: datetime) -> int:
    """One atomic UPSERT: this key's attempts in its current window, this one included."""
    table = login_attempts
    expired = table.c.window_started_at <= now - rule.window
    statement = insert(table).values(throttle_key=key, window_started_at=now, attempts=1)
    statement = statement.on_conflict_do_update(index_elements=["throttle_key"], set_={
        "attempts": case((expired, 1), else_=table.c.attempts + 1),
        "window_started_at": case((expired, now), else_=table.c.window_started_at),
    }).returning(table.c.attempts)
    return int(session.execute(statement).scalar_one())


def _lock(session: Session, key: str, until: datetime) -> None:
    statement = insert(login_locks).values(throttle_key=key, locked_until=until)
    session.execute(statement.on_conflict_do_update(index_elements=["throttle_key"], set_={"locked_until": until}))
