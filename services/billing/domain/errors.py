"""Broken business rules, named by a stable machine code; the HTTP layer turns them into problem+json."""

from __future__ import annotations


class RuleViolation(Exception):
    """The request breaks a business rule (422 by default)."""

    status = 422

    def __init__(self, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra


class StateConflict(RuleViolation):
    """The object is not in a state that allows the operation (409)."""

    status = 409


class NotFound(RuleViolation):
    """Missing, or outside what the caller may see (404)."""

    status = 404

    def __init__(self, what: str) -> None:
        super().__init__("not_found", f"{what} not found")
