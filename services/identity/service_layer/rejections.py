"""A rejection whose bookkeeping must survive the rollback of the rejected request.

A failed login must still count towards the throttle, a reused refresh token must still revoke its
family, a wrong SMS code must still use up an attempt. Handlers raise `DurableRejection(problem,
effects)`; the entrypoint rolls the request back, runs `effects` in a transaction of its own,
commits it, and answers with the problem.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.errors import Problem
from shared.uow import UnitOfWork

Effects = Callable[[UnitOfWork], None]


class DurableRejection(Problem):
    def __init__(self, problem: Problem, effects: Effects) -> None:
        super().__init__(problem.status, problem.code, problem.detail, title=problem.title, **problem.extra)
        self.headers = dict(problem.headers)
        self.effects = effects


def with_headers(problem: Problem, **headers: Any) -> Problem:
    for name, value in headers.items():
        problem.headers[name.replace("_", "-")] = str(value)
    return problem
