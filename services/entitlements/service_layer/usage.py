"""Traffic consumption (ENT-7): strict deductions from the tenant's pool, a ledger and daily totals.

The single deduction is the hot path: one read of the pool (with the product's deduction rule and the
enterprise check), one guarded `UPDATE … WHERE remaining >= n` per line drawn, one ledger insert and
one daily-total upsert. A guarded update that loses a race re-reads the pool; a pool too small is 409
and the request's transaction rolls back every draw it made.

In the Python path a deduction one line covers (the usual case) sends the guarded update, the ledger row
and the daily total as one statement (`TAKE_AND_RECORD`): the pool line stays locked from that
statement to the commit, and every round trip inside that window serialises all deductions of a hot
pool (bench/README.md). The guard is the same `remaining >= n`: a lost race takes and records nothing.

Tenant-level traffic (SMS the notifier sends for a tenant, drawn by a platform service) names no tax
ID: its ledger rows have a null tax ID and its daily totals the empty tax ID (`TENANT_LEVEL`, part of
that table's key), shown as null.

**Fast path (PostgreSQL).** `UsageFastPath` runs the whole strict, idempotent deduction (and the whole
batch) as one call of a PL/pgSQL function (`entitlements_consume`, `entitlements_consume_batch`, created
by migration 86f7ea77a324) on a connection of its own in autocommit, as a prepared statement: one round
trip, and the hot pool line stays locked only inside the server, from the guarded update to the commit.
The function claims the Idempotency-Key (or answers the stored replay), does what `consume` /
`consume_batch` below do, stores the response and returns it; a refusal is raised so nothing is kept,
and comes back here as the same `Problem`. The functions follow the same rules as the Python below,
which any request the fast path does not take (see entrypoints/usage.py) still runs;
tests/integration/test_usage_fast_path.py compares the two answer for answer.
"""
from __future__ import annotations

import json
import os
import threading
import time as timer
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Engine, and_, bindparam, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import enterprises, order_lines, products, usage_daily, usage_ledger
from services.entitlements.domain.traffic import Draw, InsufficientQuota, PoolLine, plan_draws, units_for
from shared.errors import Problem, validation
from shared.uow import UnitOfWork

MAX_RACE_RETRIES = 5
TENANT_LEVEL = ""


def _valid_pool_lines(tenant_id: str, today: date) -> Any:
    """Lines that feed a pool today: activated traffic lines within their validity with units left."""
    return and_(
        order_lines.c.tenant_id == tenant_id,
        order_lines.c.kind == "traffic",
        order_lines.c.activated.is_(True),
        order_lines.c.valid_from <= today,
        order_lines.c.valid_to >= today,
        order_lines.c.remaining > 0,
    )


def _pool_read_statement(enterprise: Any) -> Any:
    return (
        select(order_lines.c.id, order_lines.c.remaining, order_lines.c.valid_to, products.c.units_per_use,
               enterprise.label("enterprise_id"))
        .join(products, products.c.code == order_lines.c.product_code)
        .where(_valid_pool_lines(bindparam("tenant_id"), bindparam("today")), order_lines.c.product_code == bindparam("product_code"))
        .order_by(order_lines.c.valid_to, order_lines.c.id)
    )


# Built once: SQLAlchemy then computes their cache keys once, not on every deduction (a quarter of its CPU).
POOL_READ = _pool_read_statement(
    select(enterprises.c.id)
    .where(enterprises.c.tax_id == bindparam("tax_id"), enterprises.c.tenant_id == bindparam("tenant_id"))
    .scalar_subquery()
)
TENANT_POOL_READ = _pool_read_statement(bindparam("tenant_id", type_=enterprises.c.tenant_id.type))


def _pool_read(session: Session, tenant_id: str, product_code: str, tax_id: str | None, today: date) -> list[Any]:
    """The pool's lines; `enterprise_id` is None when `tax_id` is not the tenant's (tenant-level: the tenant itself)."""
    parameters = {"tenant_id": tenant_id, "today": today, "product_code": product_code}
    if tax_id is None:
        return session.execute(TENANT_POOL_READ, parameters).all()
    return session.execute(POOL_READ, {**parameters, "tax_id": tax_id}).all()


def _explain_empty_pool(session: Session, tenant_id: str, product_code: str, tax_id: str | None, uses: int) -> Problem:
    product = session.execute(select(products.c.kind).where(products.c.code == product_code)).first()
    if product is None or product.kind != "traffic":
        return validation({"product_code": ["unknown traffic product"]})
    if tax_id is not None and _enterprise_missing(session, tenant_id, [tax_id]):
        return validation({"tax_id": ["not an enterprise of this tenant"]})
    return Problem(409, "insufficient_quota", f"{uses} uses asked, nothing left", available=0)


def _enterprise_missing(session: Session, tenant_id: str, tax_ids: list[str]) -> set[str]:
    found = set(
        session.execute(
            select(enterprises.c.tax_id).where(enterprises.c.tenant_id == tenant_id, enterprises.c.tax_id.in_(tax_ids))
        ).scalars()
    )
    return set(tax_ids) - found


def _take(session: Session, draw: Draw) -> bool:
    taken = session.execute(
        update(order_lines)
        .where(order_lines.c.id == draw.line_id, order_lines.c.remaining >= draw.units)
        .values(remaining=order_lines.c.remaining - draw.units)
    )
    return taken.rowcount == 1


TAKE_AND_RECORD = text("""
WITH taken AS (
    UPDATE order_lines SET remaining = remaining - :units
    WHERE id = :line_id AND remaining >= :units
    RETURNING remaining
), ledger AS (
    INSERT INTO usage_ledger (tenant_id, product_code, tax_id, units, reference, order_line_id, used_at)
    SELECT :tenant_id, :product_code, CAST(:tax_id AS VARCHAR), :units, CAST(:reference AS VARCHAR), :line_id, :used_at FROM taken
), daily AS (
    INSERT INTO usage_daily (tenant_id, product_code, tax_id, day, units, uses)
    SELECT :tenant_id, :product_code, :daily_tax_id, :day, :units, :uses FROM taken
    ON CONFLICT (tenant_id, product_code, tax_id, day)
    DO UPDATE SET units = usage_daily.units + EXCLUDED.units, uses = usage_daily.uses + EXCLUDED.uses
)
SELECT remaining FROM taken
""")


def _take_and_record(session: Session, tenant_id: str, product_code: str, tax_id: str | None, uses: int,
                     reference: str | None, draw: Draw, now: datetime) -> int | None:
    """One line drawn: take, ledger row and daily total in one statement; the line's remaining, None if the race was lost."""
    return session.execute(TAKE_AND_RECORD, {
        "units": draw.units, "line_id": draw.line_id, "tenant_id": tenant_id, "product_code": product_code, "tax_id": tax_id,
        "reference": reference, "used_at": now, "daily_tax_id": TENANT_LEVEL if tax_id is None else tax_id, "day": now.date(),
        "uses": uses,
    }).scalar_one_or_none()


def upsert_daily_totals(session: Session, rows: list[dict[str, Any]]) -> None:
    statement = postgres_insert(usage_daily)
    statement = statement.on_conflict_do_update(
        index_elements=[usage_daily.c.tenant_id, usage_daily.c.product_code, usage_daily.c.tax_id, usage_daily.c.day],
        set_={"units": usage_daily.c.units + statement.excluded.units, "uses": usage_daily.c.uses + statement.excluded.uses},
    )
    session.execute(statement, rows)


def _record(session: Session, tenant_id: str, now: datetime,
            uses_by_item: Sequence[tuple[str, str | None, int, str | None, list[Draw]]]) -> None:
    """Ledger rows (one per line drawn) and the daily totals, in the caller's transaction."""
    ledger = []
    daily: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for product_code, tax_id, uses, reference, draws in uses_by_item:
        for draw in draws:
            ledger.append({"tenant_id": tenant_id, "product_code": product_code, "tax_id": tax_id, "units": draw.units,
                           "reference": reference, "order_line_id": draw.line_id, "used_at": now})
        totals = daily[(product_code, TENANT_LEVEL if tax_id is None else tax_id)]
        totals[0] += sum(draw.units for draw in draws)
        totals[1] += uses
    session.execute(usage_ledger.insert(), ledger)
    upsert_daily_totals(session, [
        {"tenant_id": tenant_id, "product_code": product, "tax_id": tax, "day": now.date(), "units": units, "uses": uses}
        for (product, tax), (units, uses) in daily.items()
    ])


def _check_client(tax_id: str | None, client_tax_id: str | None) -> None:
    if client_tax_id is not None and tax_id != client_tax_id:
        raise Problem(403, "tax_id_not_allowed", "an API client consumes only for its own tax ID")


def consume(uow: UnitOfWork, *, tenant_id: str, product_code: str, tax_id: str | None, uses: int, reference: str | None,
            client_tax_id: str | None = None) -> dict[str, Any]:
    """Deducts `uses` × the product's units per use from the pool, earliest-expiring lines first.

    `tax_id` None draws tenant-level traffic (only platform services may ask for that; the view checks)."""
    tax_id = tax_id.strip().upper() if tax_id is not None else None
    _check_client(tax_id, client_tax_id)
    session, today = uow.session, uow.clock.today()
    draws: list[Draw] = []
    needed: int | None = None
    for _ in range(MAX_RACE_RETRIES):
        pool = _pool_read(session, tenant_id, product_code, tax_id, today)
        if not pool:
            raise _explain_empty_pool(session, tenant_id, product_code, tax_id, uses)
        if pool[0].enterprise_id is None:
            raise validation({"tax_id": ["not an enterprise of this tenant"]})
        units = units_for(uses, pool[0].units_per_use)
        needed = units if needed is None else needed
        lines = [PoolLine(row.id, row.remaining, row.valid_to) for row in pool]
        try:
            plan = plan_draws(lines, needed)
        except InsufficientQuota as short:
            raise Problem(409, "insufficient_quota", f"{short.requested} units needed, {short.available} left",
                          available=short.available, requested=short.requested) from None
        available = sum(line.remaining for line in lines)
        if not draws and len(plan) == 1:
            left = _take_and_record(session, tenant_id, product_code, tax_id, uses, reference, plan[0], uow.clock.now())
            if left is None:
                continue
            others = sum(line.remaining for line in lines if line.line_id != plan[0].line_id)
            return {"remaining": left + others, "deducted": units, "product_code": product_code, "tax_id": tax_id,
                    "reference": reference}
        for draw in plan:
            if not _take(session, draw):
                break
            draws.append(draw)
            needed -= draw.units
            available -= draw.units
        if needed == 0:
            _record(session, tenant_id, uow.clock.now(), [(product_code, tax_id, uses, reference, draws)])
            return {"remaining": available, "deducted": units, "product_code": product_code, "tax_id": tax_id,
                    "reference": reference}
    raise Problem(503, "try_again", "the pool is too busy right now; retry")


def consume_batch(uow: UnitOfWork, *, tenant_id: str, items: list[Mapping[str, Any]],
                  client_tax_id: str | None = None) -> dict[str, Any]:
    """Each item succeeds or fails alone (per-item results); the pool lines are locked once, in drawing order."""
    session, today = uow.session, uow.clock.today()
    items = [{**item, "tax_id": item["tax_id"].strip().upper()} for item in items]
    codes = sorted({item["product_code"] for item in items})
    rules = dict(session.execute(
        select(products.c.code, products.c.units_per_use).where(products.c.code.in_(codes), products.c.kind == "traffic")
    ).all())
    missing = _enterprise_missing(session, tenant_id, sorted({item["tax_id"] for item in items}))
    pools: dict[str, list[PoolLine]] = defaultdict(list)
    for row in session.execute(
        select(order_lines.c.id, order_lines.c.product_code, order_lines.c.remaining, order_lines.c.valid_to)
        .where(_valid_pool_lines(tenant_id, today), order_lines.c.product_code.in_(codes))
        .order_by(order_lines.c.valid_to, order_lines.c.id)
        .with_for_update()
    ):
        pools[row.product_code].append(PoolLine(row.id, row.remaining, row.valid_to))
    results, used = [], []
    for index, item in enumerate(items):
        outcome = _draw_item(item, rules, missing, pools, client_tax_id)
        if isinstance(outcome, str):
            results.append({"index": index, "ok": False, "code": outcome, "remaining": None})
            continue
        used.append((item["product_code"], item["tax_id"], item["units"], item.get("reference"), outcome))
        remaining = sum(line.remaining for line in pools[item["product_code"]])
        results.append({"index": index, "ok": True, "code": None, "remaining": remaining})
    if used:
        _apply_batch(session, used)
        _record(session, tenant_id, uow.clock.now(), used)
    accepted = sum(1 for result in results if result["ok"])
    return {"results": results, "accepted": accepted, "rejected": len(results) - accepted}


def _draw_item(item: Mapping[str, Any], rules: dict[str, int], missing: set[str], pools: dict[str, list[PoolLine]],
               client_tax_id: str | None) -> list[Draw] | str:
    """The draws for one batch item against the in-memory pool, or the code of why it is refused."""
    if client_tax_id is not None and item["tax_id"] != client_tax_id:
        return "tax_id_not_allowed"
    if item["product_code"] not in rules:
        return "unknown_product"
    if item["tax_id"] in missing:
        return "unknown_tax_id"
    pool = pools[item["product_code"]]
    try:
        draws = plan_draws(pool, units_for(item["units"], rules[item["product_code"]]))
    except InsufficientQuota:
        return "insufficient_quota"
    taken = {draw.line_id: draw.units for draw in draws}
    pools[item["product_code"]] = [PoolLine(line.line_id, line.remaining - taken.get(line.line_id, 0), line.valid_to)
                                   for line in pool]
    return draws


DRAW_FROM_LINE = (
    update(order_lines)
    .where(order_lines.c.id == bindparam("line_id"), order_lines.c.remaining >= bindparam("drawn"))
    .values(remaining=order_lines.c.remaining - bindparam("drawn"))
)


def _apply_batch(session: Session, used: list[tuple[str, str, int, str | None, list[Draw]]]) -> None:
    per_line: dict[str, int] = defaultdict(int)
    for *_, draws in used:
        for draw in draws:
            per_line[draw.line_id] += draw.units
    session.execute(
        DRAW_FROM_LINE,
        [{"line_id": line_id, "drawn": drawn} for line_id, drawn in sorted(per_line.items())],
        execution_options={"synchronize_session": False},
    )


def ledger_query(tenant_id: str, *, product_code: str | None, tax_id: str | None, day_from: date | None,
                 day_to: date | None) -> Any:
    query = select(usage_ledger).where(usage_ledger.c.tenant_id == tenant_id).order_by(usage_ledger.c.id.desc())
    if product_code:
        query = query.where(usage_ledger.c.product_code == product_code)
    if tax_id:
        query = query.where(usage_ledger.c.tax_id == tax_id.strip().upper())
    if day_from:
        query = query.where(usage_ledger.c.used_at >= datetime.combine(day_from, time.min, tzinfo=UTC))
    if day_to:
        query = query.where(usage_ledger.c.used_at < datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=UTC))
    return query


def daily_query(tenant_id: str, *, product_code: str | None, tax_id: str | None, day_from: date | None,
                day_to: date | None) -> Any:
    query = select(usage_daily).where(usage_daily.c.tenant_id == tenant_id).order_by(
        usage_daily.c.day.desc(), usage_daily.c.product_code, usage_daily.c.tax_id)
    if product_code:
        query = query.where(usage_daily.c.product_code == product_code)
    if tax_id:
        query = query.where(usage_daily.c.tax_id == tax_id.strip().upper())
    if day_from:
        query = query.where(usage_daily.c.day >= day_from)
    if day_to:
        query = query.where(usage_daily.c.day <= day_to)
    return query


def daily_per_product_query(tenant_id: str, *, product_code: str | None, tax_id: str | None, day_from: date | None,
                            day_to: date | None) -> Any:
    """Daily totals per product, all tax IDs together (`?by=product`): one row per day and product, for a
    chart of the tenant's consumption over a period."""
    filtered = daily_query(tenant_id, product_code=product_code, tax_id=tax_id, day_from=day_from, day_to=day_to).order_by(None)
    rows = filtered.subquery()
    return (select(rows.c.day, rows.c.product_code, literal("").label("tax_id"), func.sum(rows.c.units).label("units"),
                   func.sum(rows.c.uses).label("uses"))
            .group_by(rows.c.day, rows.c.product_code)
            .order_by(rows.c.day.desc(), rows.c.product_code))


# ---- the PostgreSQL fast path --------------------------------------------------------------------

FAST_PATH_ENV = "ENTITLEMENTS_USAGE_FAST_PATH"  # "0" turns it off (the Python path then serves PostgreSQL too)
# At most this many fast-path calls at once per API process (the launcher runs 2): more concurrent
# transactions on one hot pool only queue on its row lock, which costs PostgreSQL CPU (bench/README.md).
CONCURRENCY_ENV = "ENTITLEMENTS_USAGE_CONCURRENCY"
DEFAULT_CONCURRENCY = 1
WAIT_SECONDS = 10.0  # a request that waits longer for its turn is answered 503 try_again
PROBLEM_MESSAGE = "entitlements_problem"
IDLE_PING_SECONDS = 1.0
IDLE_CLOSE_SECONDS = 60.0  # connections idle longer are closed (the pool shrinks back after a burst)

CONSUME_CALL = (
    "SELECT status_code, body, replayed FROM entitlements_consume(%s::text, %s::text, %s::text, %s::timestamptz, "
    "%s::text, %s::text, %s::text, %s::integer, %s::text, %s::timestamptz, %s::date, %s::date)"
)
CONSUME_BATCH_CALL = (
    "SELECT status_code, body, replayed FROM entitlements_consume_batch(%s::text, %s::text, %s::text, %s::timestamptz, "
    "%s::text, %s::text, %s::text[], %s::text[], %s::integer[], %s::text[], %s::timestamptz, %s::date, %s::date)"
)


class FastPathUnavailable(Exception):
    """The functions are not in the database (migration not applied): the caller takes the Python path."""


class Turns:
    """At most `size` holders at once, served in the order they asked.

    `threading.Semaphore` lets a thread that arrives just as a turn is freed take it ahead of one
    that has been waiting (the woken waiter still has to win the lock); here a freed turn passes
    straight to the longest waiter.
    """

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._free = max(1, size)
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return True
            handed = threading.Lock()
            handed.acquire()
            self._waiting.append(handed)
        if handed.acquire(timeout=timeout):
            return True
        with self._lock:
            try:
                self._waiting.remove(handed)
            except ValueError:  # the turn was handed over just as the wait ran out: it is ours
                return True
        return False

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._free += 1


class UsageFastPath:
    """One PL/pgSQL call per request, on autocommit psycopg connections kept apart from SQLAlchemy's pool.

    At most `concurrency` calls run at once in a process (`ENTITLEMENTS_USAGE_CONCURRENCY`, 1 by
    default; in arrival order, `Turns`), so at most that many connections are open: on a hot pool
    every further transaction would only wait for the row lock, and measured, 2 processes × 1 call deduct 10-30% faster than
    2 × 4 with ~30% less PostgreSQL CPU a deduction (bench/README.md). The other request threads keep
    parsing and answering meanwhile; one that waits more than `WAIT_SECONDS` gets 503 `try_again`.
    Idle connections are reused last-in first-out; one idle for more
    than `IDLE_PING_SECONDS` is pinged first (as `pool_pre_ping` does, but not on every request), one idle
    for more than `IDLE_CLOSE_SECONDS` is closed. A connection that fails is dropped and the
    request answered 503 `try_again` (the call is atomic: it either committed or kept nothing, and a retry
    with the same Idempotency-Key is answered from the stored response)."""

    def __init__(self, engine: Engine, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._idle: list[tuple[psycopg.Connection, float]] = []
        self._lock = threading.Lock()
        self._turns = Turns(concurrency)
        self._pid = os.getpid()
        self.available = True

    def _checkout(self) -> psycopg.Connection:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours
                self._idle, self._pid = [], os.getpid()
            connection, since = self._idle.pop() if self._idle else (None, 0.0)
        if connection is not None and timer.monotonic() - since > IDLE_PING_SECONDS:
            try:
                connection.execute("SELECT 1")
            except psycopg.Error:
                connection.close()
                connection = None
        if connection is None:
            connection = psycopg.connect(self.conninfo, autocommit=True, prepare_threshold=0)
        return connection

    def _checkin(self, connection: psycopg.Connection) -> None:
        now = timer.monotonic()
        with self._lock:
            stale = [c for c, since in self._idle if now - since > IDLE_CLOSE_SECONDS]
            if stale:
                self._idle = [(c, since) for c, since in self._idle if now - since <= IDLE_CLOSE_SECONDS]
            self._idle.append((connection, now))
        for old in stale:
            old.close()

    def _call(self, statement: str, parameters: Sequence[Any]) -> tuple[int, str, bool]:
        if not self._turns.acquire(timeout=WAIT_SECONDS):
            busy = Problem(503, "try_again", "too many deductions at once; retry")
            busy.headers["Retry-After"] = "1"
            raise busy
        try:
            return self._call_now(statement, parameters)
        finally:
            self._turns.release()

    def _call_now(self, statement: str, parameters: Sequence[Any]) -> tuple[int, str, bool]:
        try:
            connection = self._checkout()
        except psycopg.OperationalError:
            raise Problem(503, "try_again", "the change could not be saved; retry") from None
        try:
            row = connection.execute(statement, parameters, prepare=True).fetchone()
        except pg_errors.RaiseException as error:
            self._checkin(connection)
            if error.diag.message_primary != PROBLEM_MESSAGE:
                raise
            raise problem_of(json.loads(error.diag.message_detail or "{}")) from None
        except pg_errors.UndefinedFunction:
            self._checkin(connection)
            self.available = False
            raise FastPathUnavailable() from None
        except psycopg.OperationalError:
            connection.close()
            raise Problem(503, "try_again", "the change could not be saved; retry") from None
        except BaseException:
            connection.close()
            raise
        self._checkin(connection)
        assert row is not None
        return row[0], row[1], row[2]

    def consume(self, idempotency: tuple[str, str, str] | None, *, tenant_id: str, product_code: str, tax_id: str | None,
                uses: int, reference: str | None, now: datetime) -> tuple[int, str, bool]:
        """(status, response body, replayed); `idempotency` is (scope, key, request hash) or None."""
        scope, key, request_hash = idempotency or (None, None, None)
        return self._call(CONSUME_CALL, (scope, key, request_hash, datetime.now(UTC), tenant_id, product_code, tax_id, uses,
                                         reference, now, now.date(), now.date()))

    def consume_batch(self, idempotency: tuple[str, str, str] | None, *, tenant_id: str, client_tax_id: str | None,
                      codes: list[str], tax_ids: list[str], uses: list[int], references: list[str | None],
                      now: datetime) -> tuple[int, str, bool]:
        scope, key, request_hash = idempotency or (None, None, None)
        return self._call(CONSUME_BATCH_CALL, (scope, key, request_hash, datetime.now(UTC), tenant_id, client_tax_id, codes,
                                               tax_ids, uses, references, now, now.date(), now.date()))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()


def problem_of(raised: Mapping[str, Any]) -> Problem:
    """The `Problem` a function raised (`{status, code, detail, errors?, …extra}`), as the Python path raises it."""
    extra = {name: value for name, value in raised.items() if name not in ("status", "code", "detail")}
    return Problem(int(raised["status"]), str(raised["code"]), raised.get("detail"), **extra)


_fast_path_lock = threading.Lock()


def fast_path(extras: dict[str, Any], engine: Engine) -> UsageFastPath | None:
    """The service's fast path, made on first use; None when turned off or when the functions are missing."""
    path = extras.get("usage_fast_path", False)
    if path is False:
        with _fast_path_lock:
            path = extras.get("usage_fast_path", False)
            if path is False:
                enabled = os.environ.get(FAST_PATH_ENV, "1") != "0"
                concurrency = int(os.environ.get(CONCURRENCY_ENV) or DEFAULT_CONCURRENCY)
                path = extras["usage_fast_path"] = UsageFastPath(engine, concurrency) if enabled else None
    return path if path is not None and path.available else None
