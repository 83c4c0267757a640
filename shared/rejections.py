"""A rejection whose bookkeeping must survive the rollback of the rejected request.

A request that fails rolls back everything it did (`shared/web.py` rolls back every answer >= 400),
so a counter of failures written inside it never moves: a wrong verification code could then be
guessed without limit. Such handlers raise `DurableRejection(problem, effects)` instead; every
service's app (registered in `shared.web.create_app`) rolls the request back, runs `effects` in a
transaction of its own, commits it, and answers with the problem. Used for failed logins (identity's
throttle), a reused refresh token (its family revoked), wrong SMS codes (identity), wrong credit-payment
codes (marketplace).

`effects` must be an idempotent-enough bookkeeping step that takes its own locks (it runs after the
request's locks are released) and must not raise for the ordinary case; if it fails, the request still
answers with the problem (and the failure is logged).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response

from shared.errors import Problem, problem_response
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

Effects = Callable[[UnitOfWork], None]


class DurableRejection(Problem):
    def __init__(self, problem: Problem, effects: Effects) -> None:
        super().__init__(problem.status, problem.code, problem.detail, title=problem.title, **problem.extra)
        self.headers = dict(problem.headers)
        self.effects = effects


def answer_durable_rejection(rejection: DurableRejection) -> Response:
    """Roll the request back, keep the rejection's bookkeeping in a transaction of its own."""
    from shared.web import current_context, db, uow

    actor = uow().actor
    db().rollback()
    context = current_context()
    with context.session_factory() as session:
        try:
            rejection.effects(UnitOfWork(context.service, session, context.tables, context.clock, actor))
            session.commit()
        except Exception:
            session.rollback()
            log.exception("the bookkeeping of a refused request could not be saved", extra={"fields": {"code": rejection.code}})
    return problem_response(rejection)
