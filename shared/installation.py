"""The secrets of one installation: none has a published default.

`SECRETS` names every secret the suite needs: its environment variable, the key of the Kubernetes
Secret `suite-secrets` that holds it, and how a fresh value is made.

- `make up` (one host, one `var/`): leave the variables unset. The first process that needs a secret
  generates it into `var/secrets/<name>` (mode 0600, written aside and linked into place, so racing
  processes all read the one that won) and every later process and start reads the same file.
  (Identity's key-encryption key, billing's sandbox key and the notifier's sealing key predate this
  module and keep their files: `var/identity/key-encryption.key`, `var/billing-sandbox.key`,
  `var/notifier/secret.key`, made the same way.)
- Docker Compose: `docker-compose.yml` requires each variable (`${NAME:?…}`); `python -m
  shared.installation env > .env` writes fresh values for a new installation.
- Kubernetes: the manifests read them from the Secret `suite-secrets`, which is not part of the
  manifests (no value is published); `python -m shared.installation k8s | kubectl apply -n <ns> -f -`
  creates one with fresh values (or create it from your secret store with the keys listed here).

`tests/deploy/test_deploy.py` checks that Compose requires, and Kubernetes reads, every secret here.
"""
from __future__ import annotations

import base64
import os
import secrets
import string
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.settings import SERVICE_PORTS, var_dir

SECRETS_DIR = "secrets"


def _hex() -> str:
    return secrets.token_hex(32)


def _key32() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def admin_password() -> str:
    """A random password of 20 characters that meets identity's policy (all four character classes)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(18))
        candidate = body[:9] + secrets.choice("!#%+-=?@") + secrets.choice(string.digits[2:]) + body[9:]
        if any(c.islower() for c in candidate) and any(c.isupper() for c in candidate):
            return candidate


@dataclass(frozen=True)
class Secret:
    env: str  # the environment variable a process reads
    k8s_key: str  # the key in the Kubernetes Secret `suite-secrets`
    make: Callable[[], str]
    what: str


SECRETS: tuple[Secret, ...] = (
    Secret("SUITE_ADMIN_PASSWORD", "admin-password", admin_password, "the first platform operator's password (identity)"),
    Secret("IDENTITY_KEY_ENCRYPTION_KEY", "identity-key-encryption-key", _key32,
           "encrypts identity's signing keys and API-client secrets at rest"),
    Secret("NOTIFIER_CLIENT_SECRET", "notifier-client-secret", _hex,
           "the notifier's service account at identity (identity gets it as SUITE_SERVICE_CLIENTS=notifier:<secret>)"),
    Secret("NOTIFIER_SECRET_KEY", "notifier-secret-key", _key32, "seals the text of messages waiting to be sent (notifier)"),
    Secret("BILLING_SANDBOX_SECRET", "billing-sandbox-secret", _hex, "signs the billing sandbox provider's callbacks"),
    Secret("MARKETPLACE_PAYMENT_SECRET", "marketplace-payment-secret", _hex,
           "signs the marketplace sandbox provider's callbacks"),
    Secret("WEB_SECRET_KEY", "web-secret-key", _hex, "signs the portal's CSRF tokens (the same in every web replica)"),
    Secret("POSTGRES_PASSWORD", "postgres-password", _hex, "PostgreSQL's `suite` user (Compose and Kubernetes)"),
    Secret("RABBITMQ_PASSWORD", "rabbitmq-password", _hex, "RabbitMQ's `suite` user (Compose and Kubernetes)"),
    Secret("GRAFANA_ADMIN_PASSWORD", "grafana-admin-password", _hex, "Grafana's `admin` user (Compose's monitoring)"),
)


def installation_secret(env: str, name: str, make: Callable[[], str] = _hex, *,
                        environ: Mapping[str, str] | None = None, var: Path | None = None) -> str:
    """The value of `env`, else the one generated once into var/secrets/<name> (never a constant)."""
    explicit = (os.environ if environ is None else environ).get(env)
    if explicit:
        return explicit
    folder = (var or var_dir()) / SECRETS_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        _create(path, make())
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it (a new secret is generated) or set {env}")
    return value


def _create(path: Path, value: str) -> None:
    """Write `value` beside `path` and link it into place: of racing processes, one value wins."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def fresh_values() -> dict[str, str]:
    return {secret.env: secret.make() for secret in SECRETS}


def compose_env(values: dict[str, str]) -> str:
    """A `.env` for docker compose."""
    return "".join(f"{name}={value}\n" for name, value in values.items())


def k8s_secret(values: dict[str, str]) -> str:
    """The Secret `suite-secrets` (YAML) with the database and broker URLs built from the passwords."""
    data = {secret.k8s_key: values[secret.env] for secret in SECRETS}
    db_password, mq_password = values["POSTGRES_PASSWORD"], values["RABBITMQ_PASSWORD"]
    data["amqp-url"] = f"amqp://suite:{mq_password}@rabbitmq:5672/"
    for service in SERVICE_PORTS:
        data[f"{service}-database-url"] = f"postgresql+psycopg://suite:{db_password}@postgres:5432/{service}"
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: suite-secrets", "type: Opaque", "stringData:"]
    lines += [f'  {key}: "{value}"' for key, value in sorted(data.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("env", "k8s"):
        print("usage: python -m shared.installation env|k8s   (fresh secrets: a .env for Compose, or the Kubernetes Secret)",
              file=sys.stderr)
        return 2
    values = fresh_values()
    sys.stdout.write(compose_env(values) if argv[0] == "env" else k8s_secret(values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
