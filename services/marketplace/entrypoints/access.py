"""Who may call what: platform staff checks, the caller's sales channel, and the service's adapters."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage

from services.marketplace.adapters.file_store import FileStore
from services.marketplace.adapters.sandbox_provider import SandboxProvider
from services.marketplace.domain.file_types import MAX_FILE_BYTES
from services.marketplace.service_layer.applications import UploadedFile
from services.marketplace.service_layer.common import RESELLER_ROLES, Channel, channel_of
from shared.auth import current_principal, optional_principal, require
from shared.errors import Problem
from shared.web import current_context, db

CATALOG_STAFF = ("platform_admin", "sales")
REVIEW_STAFF = ("platform_admin", "sales")
FINANCE_STAFF = ("platform_admin", "finance")
ORDER_STAFF = ("platform_admin", "sales", "support", "finance")
ANY_STAFF = ("platform_admin", "sales", "support", "finance")


def staff_only(*roles: str) -> Callable:
    """Platform staff (a platform organisation's user) with one of `roles`; everyone else 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_principal().is_platform_staff:
                raise Problem(403, "forbidden", "only platform staff may do this")
            return view(*args, **kwargs)

        return require(*roles)(wrapper)

    return decorator


def resellers_only(*roles: str) -> Callable:
    return require(*(roles or RESELLER_ROLES))


def current_channel() -> Channel:
    return channel_of(db(), current_principal())


def optional_reseller_id() -> str | None:
    """The reseller of a logged-in reseller or dealer user, None for visitors and staff."""
    principal = optional_principal()
    if principal is None or not principal.has_any(*RESELLER_ROLES):
        return None
    return current_channel().reseller_id


def caller_is_staff() -> bool:
    principal = optional_principal()
    return principal is not None and principal.is_platform_staff


def file_store() -> FileStore:
    return current_context().extras["file_store"]


def sandbox_provider() -> SandboxProvider:
    return current_context().extras["sandbox_provider"]


def read_upload(storage: FileStorage) -> UploadedFile:
    """Reads at most one byte more than allowed, so an oversize file is refused without reading it all."""
    content = storage.stream.read(MAX_FILE_BYTES + 1)
    return UploadedFile(storage.filename or "file", content)


def uploads(field: str) -> list[UploadedFile]:
    return [read_upload(storage) for storage in request.files.getlist(field) if storage]
