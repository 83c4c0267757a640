"""Rejections of identity's requests: `DurableRejection` (now `shared.rejections`, for every service) and headers."""
from __future__ import annotations

from typing import Any

from shared.errors import Problem
from shared.rejections import DurableRejection, Effects

__all__ = ["DurableRejection", "Effects", "with_headers"]


def with_headers(problem: Problem, **headers: Any) -> Problem:
    for name, value in headers.items():
        problem.headers[name.replace("_", "-")] = str(value)
    return problem
