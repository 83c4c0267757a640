"""Stateful (hypothesis) tests: the stored rebate and credit ledgers never go negative or beyond limits.

Each machine drives the real service-layer handlers against a PostgreSQL database (one per test,
emptied of ledger rows before each example) and the pure ledger rules in `domain.ledgers` side by
side; after every step the stored balance, owed amount and ledger sums must agree with the model,
and refused operations must change nothing.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from services.marketplace.adapters.orm import (
    credit_bills,
    credit_entries,
    credit_lines,
    platform,
    rebate_accounts,
    rebate_entries,
)
from services.marketplace.domain.ledgers import CreditLine, LedgerRefused, RebateBalance
from services.marketplace.service_layer import credit, rebate
from shared.clock import FrozenClock
from shared.db import make_engine, make_session_factory
from shared.errors import Problem
from shared.uow import UnitOfWork

RESELLER = "reseller-h"
amounts = st.integers(min_value=1, max_value=5000)


LEDGER_TABLES = (rebate_entries, rebate_accounts, credit_entries, credit_bills, credit_lines)


@pytest.fixture()
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


class _LedgerMachine(RuleBasedStateMachine):
    sessions: sessionmaker[Session]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock()
        with self.sessions.begin() as session:
            for table in LEDGER_TABLES:
                session.execute(delete(table))

    def attempt(self, handler, *args) -> str | None:  # type: ignore[no-untyped-def]
        """Runs a handler in its own transaction like a request: committed on success, rolled back on a problem."""
        with self.sessions() as session:
            try:
                handler(UnitOfWork("marketplace", session, platform, self.clock), *args)
            except Problem as problem:
                session.rollback()
                return problem.code
            session.commit()
            return None

    def scalar(self, query):  # type: ignore[no-untyped-def]
        with self.sessions() as session:
            return session.execute(query).scalar()


class RebateLedgerMachine(_LedgerMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model = RebateBalance()

    @rule(amount=amounts)
    def reward(self, amount: int) -> None:
        self.model.credit(amount)
        assert self.attempt(rebate.credit, RESELLER, amount, "reward") is None

    @rule(amount=amounts)
    def spend_at_checkout(self, amount: int) -> None:
        try:
            self.model.spend(amount)
            expected = None
        except LedgerRefused as refused:
            expected = refused.code
        assert self.attempt(rebate.spend, RESELLER, amount, "order-x") == expected

    @invariant()
    def stored_balance_matches_the_model_and_the_ledger(self) -> None:
        balance = self.scalar(select(func.coalesce(func.sum(rebate_accounts.c.balance_minor), 0)))
        ledger_sum = self.scalar(select(func.coalesce(func.sum(rebate_entries.c.amount_minor), 0)))
        assert balance == self.model.balance_minor == ledger_sum >= 0


class CreditLedgerMachine(_LedgerMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model = CreditLine(limit_minor=10000)
        with self.sessions() as session:
            session.execute(insert(credit_lines).values(reseller_id=RESELLER, limit_minor=10000, owed_minor=0, term_days=30,
                                                        currency="CNY", updated_at=self.clock.now()))
            session.execute(insert(credit_bills).values(
                id="bill-1", bill_no="ZD1", reseller_id=RESELLER, period="2026-01", period_start=self.clock.today(),
                period_end=self.clock.today(), amount_minor=10**9, repaid_minor=0, due_date=self.clock.today(),
                created_at=self.clock.now()))
            session.commit()

    @rule(amount=amounts)
    def pay_with_credit(self, amount: int) -> None:
        try:
            self.model.draw(amount)
            expected = None
        except LedgerRefused as refused:
            expected = refused.code
        assert self.attempt(credit.draw, RESELLER, amount, "purchase") == expected

    @precondition(lambda self: self.model.owed_minor > 0)
    @rule(data=st.data())
    def repay(self, data: st.DataObject) -> None:
        amount = data.draw(st.integers(min_value=1, max_value=self.model.owed_minor))
        self.model.repay(amount)
        assert self.attempt(credit.repay, RESELLER, "bill-1", amount, "r") is None

    @rule(limit=st.integers(min_value=0, max_value=20000))
    def finance_changes_the_limit(self, limit: int) -> None:
        try:
            self.model.change_limit(limit)
            expected = None
        except LedgerRefused as refused:
            expected = refused.code
        assert self.attempt(credit.set_credit_line, RESELLER, limit, 30) == expected

    @invariant()
    def never_beyond_the_limit_and_the_ledger_agrees(self) -> None:
        owed = self.scalar(select(credit_lines.c.owed_minor))
        limit = self.scalar(select(credit_lines.c.limit_minor))
        ledger_sum = self.scalar(select(func.coalesce(func.sum(credit_entries.c.amount_minor), 0)))
        assert 0 <= owed <= limit
        assert owed == self.model.owed_minor and limit == self.model.limit_minor and -ledger_sum == owed


EXAMPLES = settings(max_examples=25, stateful_step_count=20, deadline=None)


def test_rebate_ledger(sessions: sessionmaker[Session]) -> None:
    RebateLedgerMachine.sessions = sessions
    run_state_machine_as_test(RebateLedgerMachine, settings=EXAMPLES)


def test_credit_ledger(sessions: sessionmaker[Session]) -> None:
    CreditLedgerMachine.sessions = sessions
    run_state_machine_as_test(CreditLedgerMachine, settings=EXAMPLES)
