"""Who may call the notifier's endpoints."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from shared.auth import PLATFORM_STAFF, current_principal, org_scope, require
from shared.errors import Problem

ORGANISATION_ADMINS = ("tenant_admin", "reseller_admin")


def platform_staff_only(view: Callable) -> Callable:
    """Platform staff (any platform role, in the platform organisation); 403 for everyone else."""

    @require(*PLATFORM_STAFF)
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_principal().is_platform_staff:
            raise Problem(403, "forbidden", "only platform staff may do this")
        return view(*args, **kwargs)

    return wrapper


def staff_or_organisation_admin(view: Callable) -> Callable:
    """Platform staff, or an admin of the organisation named by the `org_id` path parameter (404 for
    another organisation's admin)."""

    @require(*PLATFORM_STAFF, *ORGANISATION_ADMINS)
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        principal = current_principal()
        if not principal.is_platform_staff and not principal.has_any(*ORGANISATION_ADMINS):
            raise Problem(403, "forbidden", "only platform staff or the organisation's admin may do this")
        org_scope(principal, kwargs.get("org_id"))
        return view(*args, **kwargs)

    return wrapper
