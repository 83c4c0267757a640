"""Changing a password: SMS codes to the user's phone, then the change itself (ID-3)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.identity.adapters import repository
from services.identity.adapters.orm import sms_codes, users
from services.identity.domain import sms_codes as codes
from services.identity.domain import throttling
from services.identity.domain.passwords import policy_violations
from services.identity.service_layer import read_models, throttle
from services.identity.service_layer.kit import IdentityKit
from services.identity.service_layer.rejections import DurableRejection, with_headers
from services.identity.service_layer.sessions import TokenPair, issue_tokens
from shared.clock import isoformat
from shared.errors import Problem, conflict, not_found, validation
from shared.uow import UnitOfWork


def _code_context(user_id: str, purpose: str) -> str:
    return f"sms:{purpose}:{user_id}"


def request_sms_code(uow: UnitOfWork, kit: IdentityKit, user_id: str, purpose: str) -> dict[str, Any]:
    now = uow.clock.now()
    user = repository.user(uow.session, user_id, for_update=True)
    if user is None:
        raise not_found("user")
    if not user.phone:
        raise conflict("no_phone", "no phone number is on file for this account; ask support to add one")
    recent = uow.session.execute(
        select(sms_codes.c.created_at).where(sms_codes.c.user_id == user_id, sms_codes.c.created_at > now - timedelta(hours=1))
    ).all()
    wait = codes.retry_after(now, [row.created_at for row in recent])
    if wait is not None:
        raise with_headers(Problem(429, "sms_code_rate_limited", "a code was sent recently; wait before asking again"), Retry_After=wait)
    code = codes.new_code()
    expires_at = now + codes.LIFETIME
    uow.session.execute(
        sms_codes.insert().values(
            id=str(uuid.uuid4()), user_id=user_id, purpose=purpose, code_hash=kit.digests.digest(code, _code_context(user_id, purpose)),
            created_at=now, expires_at=expires_at, wrong_attempts=0,
        )
    )
    org = repository.organisation(uow.session, user.org_id)
    data = {"user_id": user_id, "purpose": purpose, "code": code, "expires_at": isoformat(expires_at)}
    data["recipient"] = read_models.recipient(user)
    uow.emit("identity.sms_code.requested.v1", user_id, data, tenant_id=read_models.tenant_of(org))
    return {"sent_to": codes.mask_phone(user.phone), "expires_at": isoformat(expires_at)}


def change_password(
    uow: UnitOfWork, kit: IdentityKit, user_id: str, old_password: str, new_password: str, sms_code: str
) -> TokenPair:
    now = uow.clock.now()
    # As at login, the try is counted against the account (atomically, in a transaction of its own) before
    # the current password is checked, so racing wrong tries get no more checks than the limit. This
    # happens before the request's own transaction starts (it would otherwise wait on the request's own locks).
    with Session(uow.session.get_bind()) as lookup:
        username = lookup.execute(select(users.c.username).where(users.c.id == user_id)).scalar_one_or_none()
    if username is None:
        raise not_found("user")
    problems = policy_violations(new_password, username)
    if new_password == old_password:
        problems.append("must differ from the current password")
    if problems:
        raise validation({"new_password": problems}, "the new password does not satisfy the password policy")
    rules = {throttling.account_key(username): throttling.ACCOUNT_RULE}
    counts = throttle.admit(Session(uow.session.get_bind()), rules, now)
    user = repository.user(uow.session, user_id, for_update=True)
    if user is None:
        raise not_found("user")
    if not kit.passwords.verify(user.password_hash, old_password):
        wrong = Problem(422, "invalid_old_password", "the current password is wrong", errors={"old_password": ["is wrong"]})
        raise DurableRejection(wrong, lambda fresh: throttle.lock_if_reached(fresh, rules, counts))
    _use_sms_code(uow, kit, user_id, "password_change", sms_code)
    throttle.give_back(uow.session, throttling.account_key(username))  # a change that succeeds is no failure
    uow.session.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=kit.passwords.hash(new_password), must_change_password=False, password_changed_at=now, updated_at=now)
    )
    repository.revoke_refresh_tokens(uow.session, user_id, now)
    uow.audit("user.password_changed", "user", user_id)
    org = repository.organisation(uow.session, user.org_id)
    return issue_tokens(uow, kit, repository.user(uow.session, user_id), org.kind)


def _use_sms_code(uow: UnitOfWork, kit: IdentityKit, user_id: str, purpose: str, code: str) -> None:
    """Consume the latest live code; a wrong guess uses up one of its attempts (kept after rollback)."""
    now = uow.clock.now()
    row = uow.session.execute(
        select(sms_codes)
        .where(sms_codes.c.user_id == user_id, sms_codes.c.purpose == purpose, sms_codes.c.used_at.is_(None))
        .order_by(sms_codes.c.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    invalid = Problem(422, "invalid_sms_code", "the SMS code is wrong or expired", errors={"sms_code": ["is wrong or expired"]})
    if row is None or row.expires_at <= now:
        raise invalid
    if not kit.digests.matches(code, row.code_hash, _code_context(user_id, purpose)):
        raise DurableRejection(invalid, lambda fresh: _count_wrong_attempt(fresh, user_id, row.id))
    uow.session.execute(update(sms_codes).where(sms_codes.c.id == row.id).values(used_at=now))


def _count_wrong_attempt(uow: UnitOfWork, user_id: str, code_id: str) -> None:
    """In the rejection's own transaction. The user's row is locked first, as every transaction on a
    user's codes does (user, then code): taking the code first, this one and the requests queued on
    the user's row waited for each other (PostgreSQL ended 19 of 40 racing changes as deadlocks)."""
    repository.user(uow.session, user_id, for_update=True)
    attempts = sms_codes.c.wrong_attempts + 1
    uow.session.execute(update(sms_codes).where(sms_codes.c.id == code_id).values(wrong_attempts=attempts))
    uow.session.execute(
        update(sms_codes)
        .where(sms_codes.c.id == code_id, sms_codes.c.wrong_attempts >= codes.MAX_WRONG_ATTEMPTS)
        .values(used_at=uow.clock.now())
    )
