"""What the identity views share: the handlers' kit, the caller's address, pages of rows."""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from flask import request

from services.identity.service_layer.kit import IdentityKit
from shared.web import current_context, db, page_of

PREFIX = "/identity/v1"


def kit() -> IdentityKit:
    return current_context().extras["kit"]


def client_address() -> str:
    """The caller's address: the last X-Forwarded-For hop (added by the gateway), else the peer; past a
    trusted proxy (the web app, `IDENTITY_TRUSTED_PROXIES`), the address that proxy forwarded."""
    return address_of(request.headers.get("X-Forwarded-For", ""), request.remote_addr, kit().settings.trusted_proxies)


def address_of(forwarded: str, peer: str | None, trusted: tuple[str, ...]) -> str:
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return (peer or "unknown")[:100]
    networks = _networks(trusted)
    index = len(hops) - 1
    while index > 0 and _within(hops[index], networks):
        index -= 1
    return hops[index][:100]


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(item, strict=False) for item in trusted)


def _within(hop: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        address = ip_address(hop)
    except ValueError:
        return False
    return any(address in network for network in networks)


def page(query: Any, args: dict[str, Any], view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    result = page_of(db(), query, args["page"], args["page_size"])
    result["items"] = [view(row) for row in result["items"]]
    return result
