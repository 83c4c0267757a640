"""What must exist before the first request: a signing key, the platform organisation, the first admin.

Each API worker process runs this at start; unique constraints make racing processes create each
thing once.
"""
from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.identity.adapters import repository
from services.identity.adapters.orm import organisations, users
from services.identity.domain.organisations import ACTIVE, PLATFORM
from services.identity.service_layer.kit import IdentityKit
from shared.clock import utcnow

PLATFORM_REF = "platform"


def prepare(session_factory: sessionmaker[Session], kit: IdentityKit) -> None:
    kit.keys.ensure_key()
    platform_id = _ensure_platform(session_factory)
    if kit.settings.admin_username and kit.settings.admin_password:
        _ensure_first_admin(session_factory, kit, platform_id)


def _ensure_platform(session_factory: sessionmaker[Session]) -> str:
    with session_factory() as session:
        found = repository.organisation_by_ref(session, PLATFORM_REF)
        if found is not None:
            return found.id
        now = utcnow()
        try:
            session.execute(
                organisations.insert().values(
                    id=str(uuid.uuid4()), kind=PLATFORM, name="Platform", status=ACTIVE, external_ref=PLATFORM_REF,
                    created_at=now, updated_at=now,
                )
            )
            session.commit()
        except IntegrityError:
            session.rollback()
        return repository.organisation_by_ref(session, PLATFORM_REF).id


def _ensure_first_admin(session_factory: sessionmaker[Session], kit: IdentityKit, platform_id: str) -> None:
    username = (kit.settings.admin_username or "").strip().lower()
    with session_factory() as session:
        if repository.username_taken(session, username):
            return
        now = utcnow()
        user_id = str(uuid.uuid4())
        try:
            session.execute(
                users.insert().values(
                    id=user_id, org_id=platform_id, username=username, email=username, name="Platform administrator",
                    status=ACTIVE, password_hash=kit.passwords.hash(kit.settings.admin_password or ""),
                    must_change_password=False, created_at=now, updated_at=now,
                )
            )
            repository.set_roles(session, user_id, ["platform_admin"])
            session.commit()
        except IntegrityError:
            session.rollback()
