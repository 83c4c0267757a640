"""Settings of the gateway, read from the environment when `GatewayConfig.from_env()` is called."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.settings import SERVICE_PORTS, service_url, web_url

SERVICE = "gateway"
MIB = 1024 * 1024


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway needs to know; tests replace single fields with `with_overrides`."""

    service_urls: Mapping[str, str] = field(default_factory=dict)
    web_url: str | None = None  # the web app: /portal and /market go there (None: not routed)
    connect_timeout: float = 2.0
    read_timeout: float = 30.0
    pool_size: int = 32
    rate_per_second: float = 50.0
    burst: int = 100
    redis_url: str | None = None
    max_body_bytes: int = 32 * MIB
    trusted_proxies: int = 0
    openapi_ttl: float = 30.0
    probe_timeout: float = 0.5
    jwt_issuer: str = "suite-identity"
    jwt_audience: str = "suite"

    @classmethod
    def from_env(cls) -> "GatewayConfig":
        return cls(
            service_urls={name: service_url(name) for name in SERVICE_PORTS},
            web_url=web_url(),
            connect_timeout=_float("GATEWAY_CONNECT_TIMEOUT", 2.0),
            read_timeout=_float("GATEWAY_READ_TIMEOUT", 30.0),
            pool_size=_int("GATEWAY_POOL_SIZE", 32),
            rate_per_second=_float("GATEWAY_RATE_PER_SECOND", 50.0),
            burst=_int("GATEWAY_BURST", 100),
            redis_url=os.environ.get("REDIS_URL") or None,
            max_body_bytes=_int("GATEWAY_MAX_BODY_BYTES", 32 * MIB),
            trusted_proxies=_int("GATEWAY_TRUSTED_PROXIES", 0),
            openapi_ttl=_float("GATEWAY_OPENAPI_TTL", 30.0),
            probe_timeout=_float("GATEWAY_PROBE_TIMEOUT", 0.5),
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> "GatewayConfig":
        return dataclasses.replace(self, **overrides)

    @property
    def identity_jwks_url(self) -> str:
        return f"{self.service_urls['identity']}/identity/v1/.well-known/jwks.json"
