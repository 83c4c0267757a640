"""Queries on the identity tables that several handlers share (rows in, rows out; no rules)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.orm import Session

from services.identity.adapters.orm import organisations, refresh_tokens, user_roles, users


def organisation(session: Session, org_id: str, *, for_update: bool = False) -> Any:
    query = select(organisations).where(organisations.c.id == org_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


def organisation_by_ref(session: Session, external_ref: str) -> Any:
    return session.execute(select(organisations).where(organisations.c.external_ref == external_ref)).first()


def user(session: Session, user_id: str, *, for_update: bool = False) -> Any:
    query = select(users).where(users.c.id == user_id, users.c.deleted_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return session.execute(query).first()


_USER_WITH_ORG = (
    select(users, organisations.c.status.label("org_status"), organisations.c.kind.label("org_kind"))
    .join(organisations, organisations.c.id == users.c.org_id)
    .where(users.c.username == bindparam("username"), users.c.deleted_at.is_(None))
)


def user_with_org_by_username(session: Session, username: str) -> Any:
    """The user's row plus `org_status` and `org_kind` of its organisation (one statement; for logins)."""
    return session.execute(_USER_WITH_ORG, {"username": username}).first()


def user_by_username(session: Session, username: str) -> Any:
    return session.execute(select(users).where(users.c.username == username, users.c.deleted_at.is_(None))).first()


def username_taken(session: Session, username: str) -> bool:
    return user_by_username(session, username) is not None


def roles_of(session: Session, user_id: str) -> list[str]:
    rows = session.execute(select(user_roles.c.role).where(user_roles.c.user_id == user_id).order_by(user_roles.c.role))
    return [row.role for row in rows]


def roles_of_many(session: Session, user_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(user_ids)
    found: dict[str, list[str]] = {user_id: [] for user_id in ids}
    if ids:
        rows = session.execute(select(user_roles).where(user_roles.c.user_id.in_(ids)).order_by(user_roles.c.role))
        for row in rows:
            found[row.user_id].append(row.role)
    return found


def set_roles(session: Session, user_id: str, roles: Iterable[str]) -> None:
    session.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
    wanted = sorted(set(roles))
    if wanted:
        session.execute(user_roles.insert(), [{"user_id": user_id, "role": role} for role in wanted])


def users_with_role(org_id: str, role: str) -> Select:
    return (
        select(users)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(users.c.org_id == org_id, user_roles.c.role == role, users.c.deleted_at.is_(None))
    )


def revoke_refresh_tokens(session: Session, user_id: str, at: datetime) -> None:
    session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
