"""Service accounts: how the suite's own services get tokens to call one another.

The accounts come from `SUITE_SERVICE_CLIENTS` (settings); every API process brings the table in step
at start: a listed account is created or gets its current secret, an account no longer listed is
disabled. Secrets are compared as HMAC digests (like API-client secrets: random, so a slow hash adds
nothing). A token of a service account has kind `client`, role `service`, the platform organisation
and `sub` `service:<name>`; views accept it only where they opt in (`@require(services=True)`).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.identity.adapters import repository
from services.identity.adapters.orm import service_clients
from services.identity.domain.tokens import service_claims
from services.identity.service_layer.kit import IdentityKit
from shared.clock import utcnow
from shared.uow import UnitOfWork

ACTIVE = "active"
DISABLED = "disabled"
PLATFORM_REF = "platform"

log = logging.getLogger(__name__)


def _secret_context(name: str) -> str:
    return f"service:{name}"


def configure(session_factory: sessionmaker[Session], kit: IdentityKit, configured: Mapping[str, str]) -> None:
    """Create or update every configured account and disable the others; racing processes agree."""
    for _ in range(3):
        with session_factory() as session:
            try:
                _bring_in_step(session, kit, configured)
                session.commit()
                return
            except IntegrityError:
                session.rollback()
    raise RuntimeError("service clients could not be configured")


def _bring_in_step(session: Session, kit: IdentityKit, configured: Mapping[str, str]) -> None:
    now = utcnow()
    existing = {row.name: row for row in session.execute(select(service_clients)).all()}
    for name, secret in configured.items():
        digest = kit.digests.digest(secret, _secret_context(name))
        row = existing.get(name)
        if row is None:
            session.execute(service_clients.insert().values(name=name, secret_hash=digest, status=ACTIVE, created_at=now, updated_at=now))
            session.flush()
            log.info("service client created", extra={"fields": {"service_client": name}})
        elif row.secret_hash != digest or row.status != ACTIVE:
            session.execute(
                update(service_clients).where(service_clients.c.name == name).values(secret_hash=digest, status=ACTIVE, updated_at=now)
            )
            log.info("service client updated", extra={"fields": {"service_client": name}})
    for name, row in existing.items():
        if name not in configured and row.status != DISABLED:
            session.execute(update(service_clients).where(service_clients.c.name == name).values(status=DISABLED, updated_at=now))
            log.info("service client disabled", extra={"fields": {"service_client": name}})


def service_token(uow: UnitOfWork, kit: IdentityKit, name: str, secret: str) -> dict[str, Any] | None:
    """The client-credentials grant of a service account, or None when the name or secret is wrong."""
    row = uow.session.execute(
        select(service_clients.c.secret_hash, service_clients.c.status).where(service_clients.c.name == name)
    ).first()
    if row is None or row.status != ACTIVE or not kit.digests.matches(secret, row.secret_hash, _secret_context(name)):
        return None
    platform = repository.organisation_by_ref(uow.session, PLATFORM_REF)
    ttl = kit.settings.access_token_seconds
    claims = service_claims(name=name, platform_id=platform.id, issued_at=int(time.time()), ttl=ttl)
    return {"access_token": kit.keys.sign(uow.session, claims), "token_type": "Bearer", "expires_in": ttl}
