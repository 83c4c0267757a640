"""What the identity views share: the handlers' kit, the caller's address, pages of rows."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from services.identity.service_layer.kit import IdentityKit
from shared.web import current_context, db, page_of

PREFIX = "/identity/v1"


def kit() -> IdentityKit:
    return current_context().extras["kit"]


def client_address() -> str:
    """The caller's address: the last X-Forwarded-For hop (added by the gateway), else the peer."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return (hops[-1] if hops else request.remote_addr or "unknown")[:100]


def page(query: Any, args: dict[str, Any], view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    result = page_of(db(), query, args["page"], args["page_size"])
    result["items"] = [view(row) for row in result["items"]]
    return result
