"""Settings shared by every service, read from the environment when asked (never at import)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SERVICE_PORTS: dict[str, int] = {
    "identity": 8081,
    "entitlements": 8082,
    "licensing": 8083,
    "billing": 8084,
    "marketplace": 8085,
    "notifier": 8086,
}
GATEWAY_PORT = 8080
WEB_PORT = 8087  # the web app (web/), reached through the gateway under /portal and /market
EMBEDDED_BROKER_PORT = 6399
EMBEDDED_POSTGRES_PORT = 6398


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    path = Path(os.environ.get("SUITE_VAR_DIR", repo_root() / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def port_offset() -> int:
    return int(os.environ.get("SUITE_PORT_OFFSET", "0"))


def service_url(service: str) -> str:
    """Base URL of a service's API (env `<SERVICE>_URL` wins)."""
    explicit = os.environ.get(f"{service.upper()}_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://127.0.0.1:{SERVICE_PORTS[service] + port_offset()}"


def web_url() -> str:
    """Base URL of the web app (env `WEB_URL` wins): where the gateway sends /portal and /market."""
    explicit = os.environ.get("WEB_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://127.0.0.1:{WEB_PORT + port_offset()}"


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else the service's database on the embedded PostgreSQL server the suite
    starts (`EMBEDDED_POSTGRES_URL`, its admin URL, set by the launcher; port 6398 + SUITE_PORT_OFFSET)."""
    explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    embedded = os.environ.get("EMBEDDED_POSTGRES_URL") or \
        f"postgresql+psycopg://postgres@127.0.0.1:{EMBEDDED_POSTGRES_PORT + port_offset()}/postgres"
    return embedded.rsplit("/", 1)[0] + "/" + service


def broker_url() -> str:
    """`AMQP_URL` (RabbitMQ) when set, else the embedded Redis-protocol broker started by the suite."""
    return os.environ.get("AMQP_URL") or os.environ.get(
        "EMBEDDED_BROKER_URL",
        f"redis://127.0.0.1:{EMBEDDED_BROKER_PORT + port_offset()}/0",
    )


@dataclass(frozen=True)
class CommonSettings:
    service: str
    database_url: str
    broker_url: str
    identity_url: str
    jwt_issuer: str = "suite-identity"
    jwt_audience: str = "suite"
    max_body_bytes: int = 2 * 1024 * 1024

    @classmethod
    def from_env(cls, service: str) -> "CommonSettings":
        return cls(
            service=service,
            database_url=database_url(service),
            broker_url=broker_url(),
            identity_url=service_url("identity"),
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", str(2 * 1024 * 1024))),
        )
