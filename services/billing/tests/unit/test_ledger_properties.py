"""Property: whatever sequence of top-ups, payments and refunds happens, the ledger sums to the
balance, the balance is never negative, and a payment the balance cannot cover changes nothing."""

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from services.billing.adapters.orm import balances, ledger_entries
from services.billing.config import SERVICE
from services.billing.domain.errors import StateConflict
from services.billing.service_layer import ledger
from shared.clock import utcnow
from shared.db import make_engine, make_session_factory

COMPANIES = ("C1", "C2")
CURRENCIES = ("CNY", "USD")
amounts = st.integers(min_value=1, max_value=50_000)


@pytest.fixture(scope="module")
def session_factory(database_templates):
    database = database_templates.clone(SERVICE)
    engine = make_engine(database.url)
    yield make_session_factory(engine)
    engine.dispose()
    database_templates.release(database)


class LedgerMachine(RuleBasedStateMachine):
    factory = None
    references = itertools.count()

    @initialize()
    def empty_books(self):
        with self.factory.begin() as session:
            session.execute(ledger_entries.delete())
            session.execute(balances.delete())
        self.expected = {(c, k): 0 for c in COMPANIES for k in CURRENCIES}
        self.payments: list[tuple[str, str, int, str]] = []

    def _in_transaction(self, work):
        session = self.factory()
        try:
            work(session)
            session.commit()
        except StateConflict:
            session.rollback()
            raise
        finally:
            session.close()

    @rule(company=st.sampled_from(COMPANIES), currency=st.sampled_from(CURRENCIES), amount=amounts)
    def top_up(self, company, currency, amount):
        reference = f"t{next(self.references)}"
        self._in_transaction(lambda s: ledger.credit(s, company, currency, amount, ledger.TOPUP, reference, utcnow()))
        self.expected[(company, currency)] += amount

    @rule(company=st.sampled_from(COMPANIES), currency=st.sampled_from(CURRENCIES), amount=amounts)
    def pay(self, company, currency, amount):
        reference = f"p{next(self.references)}"
        try:
            self._in_transaction(lambda s: ledger.debit(s, company, currency, amount, ledger.PAYMENT, reference, utcnow()))
        except StateConflict as refused:
            assert refused.code == "insufficient_balance"
            assert amount > self.expected[(company, currency)]
            return
        self.expected[(company, currency)] -= amount
        self.payments.append((company, currency, amount, reference))

    @precondition(lambda self: self.payments)
    @rule(index=st.integers(min_value=0), twice=st.booleans())
    def refund(self, index, twice):
        company, currency, amount, reference = self.payments.pop(index % len(self.payments))
        self._in_transaction(lambda s: ledger.credit(s, company, currency, amount, ledger.REFUND, reference, utcnow()))
        self.expected[(company, currency)] += amount
        if twice:
            with pytest.raises(StateConflict):
                self._in_transaction(lambda s: ledger.credit(s, company, currency, amount, ledger.REFUND, reference, utcnow()))

    @invariant()
    def ledger_sums_to_balance_and_never_negative(self):
        with self.factory() as session:
            for company, currency in self.expected:
                balance = ledger.balance_of(session, company, currency)
                assert balance == ledger.ledger_total(session, company, currency) == self.expected[(company, currency)]
                assert balance >= 0
            negative = session.execute(select(balances).where(balances.c.amount_minor < 0)).first()
            assert negative is None


def test_ledger_always_sums_to_the_balance_and_never_goes_negative(session_factory):
    LedgerMachine.factory = session_factory
    machine = LedgerMachine.TestCase
    machine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
    machine().runTest()
