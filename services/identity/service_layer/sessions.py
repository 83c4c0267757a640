"""Logging in, refreshing and logging out: access tokens and rotating refresh-token families.

Access tokens carry the wall-clock `iat`/`exp` every verifier checks; refresh tokens, failures and
locks follow the service clock. A refresh token is used once: refreshing marks it rotated and issues
its successor in the same family; presenting a rotated token again revokes the whole family.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.identity.adapters import repository
from services.identity.adapters.crypto import random_token
from services.identity.adapters.orm import refresh_tokens, users
from services.identity.domain import throttling
from services.identity.domain.organisations import ACTIVE
from services.identity.domain.tokens import user_claims
from services.identity.service_layer import throttle
from services.identity.service_layer.kit import IdentityKit
from services.identity.service_layer.rejections import DurableRejection
from services.identity.service_layer.users import announce_user
from shared.errors import Problem
from shared.uow import UnitOfWork

REFRESH_CONTEXT = "refresh"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    must_change_password: bool
    token_type: str = "Bearer"


def invalid_credentials() -> Problem:
    return Problem(401, "invalid_credentials", "the username or password is wrong")


def account_disabled() -> Problem:
    return Problem(401, "account_disabled", "this account is disabled")


def login(uow: UnitOfWork, kit: IdentityKit, username: str, password: str, address: str) -> TokenPair:
    now = uow.clock.now()
    name = username.strip().lower()
    account, origin = throttling.account_key(name), throttling.address_key(address)
    rules = {account: throttling.ACCOUNT_RULE, origin: throttling.ADDRESS_RULE}
    # Counted (and refused when over the limit) in a transaction of its own, before the password is checked.
    counts = throttle.admit(Session(uow.session.get_bind()), rules, now)
    user = repository.user_with_org_by_username(uow.session, name)
    if not kit.passwords.verify(user.password_hash if user else None, password):
        raise DurableRejection(invalid_credentials(), lambda fresh: throttle.lock_if_reached(fresh, rules, counts))
    if user.status != ACTIVE or user.org_status != ACTIVE:
        raise account_disabled()
    throttle.forget_failures(uow.session, account)
    throttle.give_back(uow.session, origin)
    changes: dict[str, Any] = {"last_login_at": now}
    if kit.passwords.needs_rehash(user.password_hash):
        changes["password_hash"] = kit.passwords.hash(password)
    uow.session.execute(update(users).where(users.c.id == user.id).values(**changes))
    announce_user(uow, user.id, "signed_in")
    return issue_tokens(uow, kit, user, user.org_kind)


def issue_tokens(uow: UnitOfWork, kit: IdentityKit, user: Any, org_kind: str, *, family_id: str | None = None,
                 parent_id: str | None = None) -> TokenPair:
    roles = repository.roles_of(uow.session, user.id)
    ttl = kit.settings.access_token_seconds
    claims = user_claims(
        user_id=user.id, org_id=user.org_id, org_kind=org_kind, roles=roles, issued_at=int(time.time()), ttl=ttl,
        must_change_password=bool(user.must_change_password),
        username=getattr(user, "username", None), name=getattr(user, "name", None),
    )
    refresh = random_token()
    now = uow.clock.now()
    uow.session.execute(
        refresh_tokens.insert().values(
            id=str(uuid.uuid4()),
            family_id=family_id or str(uuid.uuid4()),
            user_id=user.id,
            token_hash=kit.digests.digest(refresh, REFRESH_CONTEXT),
            parent_id=parent_id,
            issued_at=now,
            expires_at=now + timedelta(days=kit.settings.refresh_token_days),
        )
    )
    return TokenPair(kit.keys.sign(uow.session, claims), refresh, ttl, bool(user.must_change_password))


def refresh(uow: UnitOfWork, kit: IdentityKit, token: str) -> TokenPair:
    now = uow.clock.now()
    by_hash = select(refresh_tokens).where(refresh_tokens.c.token_hash == kit.digests.digest(token, REFRESH_CONTEXT))
    seen = uow.session.execute(by_hash).first()
    if seen is not None:
        # The user's row first, then the token's: the order of every transaction on a user's tokens
        # (a password change locks the user and revokes them all; inserting the next token takes a
        # key-share lock on the user). Token first, the two deadlocked in PostgreSQL.
        repository.user(uow.session, seen.user_id, for_update=True)
    row = uow.session.execute(by_hash.with_for_update()).first() if seen is not None else None
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Problem(401, "invalid_refresh_token", "the refresh token is not valid")
    if row.rotated_at is not None:
        reused = Problem(401, "refresh_token_reused", "the refresh token was already used; the session is revoked")
        raise DurableRejection(reused, lambda fresh: revoke_family(fresh, row.family_id, row.user_id))
    user = repository.user(uow.session, row.user_id)
    org = repository.organisation(uow.session, user.org_id) if user else None
    if user is None or user.status != ACTIVE or org.status != ACTIVE:
        raise account_disabled()
    uow.session.execute(update(refresh_tokens).where(refresh_tokens.c.id == row.id).values(rotated_at=now))
    return issue_tokens(uow, kit, user, org.kind, family_id=row.family_id, parent_id=row.id)


def revoke_family(uow: UnitOfWork, family_id: str, user_id: str) -> None:
    repository.user(uow.session, user_id, for_update=True)  # the user first (see `refresh`)
    uow.session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now())
    )


def logout(uow: UnitOfWork, kit: IdentityKit, token: str) -> None:
    """Revoke the session the refresh token belongs to; an unknown token changes nothing."""
    row = uow.session.execute(
        select(refresh_tokens.c.family_id, refresh_tokens.c.user_id)
        .where(refresh_tokens.c.token_hash == kit.digests.digest(token, REFRESH_CONTEXT))
    ).first()
    if row is not None:
        revoke_family(uow, row.family_id, row.user_id)
