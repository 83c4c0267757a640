"""The life of an offline top-up request: sales draft, edit and submit it; finance reviews it once."""

from __future__ import annotations

from services.billing.domain.errors import RuleViolation, StateConflict

DRAFT, SUBMITTED, RETURNED, APPROVED, DECLINED = "draft", "submitted", "returned", "approved", "declined"
EDITABLE = (DRAFT, RETURNED)  # a submitted request is frozen while finance reviews it
SUBMITTABLE = (DRAFT, RETURNED)
DECISIONS = {"approve": APPROVED, "return": RETURNED, "decline": DECLINED}


def require_editable(status: str) -> None:
    if status not in EDITABLE:
        raise StateConflict("topup_not_editable", f"a {status} top-up request can no longer be edited")


def require_submittable(status: str) -> None:
    if status not in SUBMITTABLE:
        raise StateConflict("topup_not_submittable", f"a {status} top-up request cannot be submitted")


def require_reviewed_version(current: int, named: int) -> None:
    """Finance approves what it saw: the review names the request's version (GET answers it)."""
    if current != named:
        raise StateConflict("topup_version_mismatch", f"the request is at version {current}, not {named}: look at it again")


def status_after_review(decision: str, comment: str | None) -> str:
    """Returning or declining needs a comment for the sales person; approving does not."""
    if decision in ("return", "decline") and not (comment or "").strip():
        raise RuleViolation("comment_required", f"say why when you {decision} a request", errors={"comment": ["required"]})
    return DECISIONS[decision]
