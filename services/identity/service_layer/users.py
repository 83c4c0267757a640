"""Users of organisations (ID-4, ID-5): invitations, enabling, disabling, deleting, the admin role.

The last enabled admin of an organisation can be neither disabled nor deleted. Every change that
could take that admin away first locks the organisation's row, so two concurrent changes are
decided one after the other.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, update

from services.identity.adapters import repository
from services.identity.adapters.crypto import random_token
from services.identity.adapters.orm import invitations, user_roles, users
from services.identity.domain import organisations as kinds
from services.identity.domain.passwords import policy_violations
from services.identity.service_layer import access, read_models
from services.identity.service_layer.kit import IdentityKit
from shared.auth import Principal
from shared.clock import isoformat
from shared.errors import Problem, conflict, not_found, validation
from shared.uow import UnitOfWork

INVITED = "invited"
ACTIVE = kinds.ACTIVE
DISABLED = kinds.DISABLED
DELETED = "deleted"
INVITATION_LIFETIME = timedelta(hours=72)
INVITATION_CONTEXT = "invitation"


def invite_user(uow: UnitOfWork, kit: IdentityKit, principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    org = access.managed_organisation(uow.session, principal, fields["org_id"])
    roles = sorted(set(fields["roles"]))
    misfits = kinds.roles_not_fitting(org.kind, roles)
    if misfits:
        raise validation({"roles": [f"{', '.join(misfits)} do not fit a {org.kind} organisation"]})
    return add_invited_user(uow, kit, org, fields, roles)


def add_invited_user(uow: UnitOfWork, kit: IdentityKit, org: Any, fields: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """Insert a user without a password and mail them an activation link.

    Usernames are unique across the platform, but whether an address is registered in *another*
    organisation is not the inviting admin's to know (issue 16: a 409 `username_taken` told any tenant
    admin whether any address had an account anywhere). An address already used in the inviter's own
    organisation is 409 `username_taken` (the admin sees those users anyway); an address held elsewhere
    is answered exactly as a new invitation (201, a user view of status `invited`), nothing is created,
    and the address's holder is mailed that someone tried (`identity.user.already_registered.v1`), as
    a bank answers "if this address can be used, an invitation was sent"."""
    username = fields["email"].strip().lower()
    holder = repository.user_by_username(uow.session, username)
    if holder is not None and holder.org_id == org.id:
        raise conflict("username_taken", "a user with this e-mail exists", errors={"email": ["is already a username"]})
    if holder is not None:
        return _invitation_to_a_registered_address(uow, org, fields, roles, holder)
    now = uow.clock.now()
    user_id = str(uuid.uuid4())
    uow.session.execute(
        users.insert().values(
            id=user_id, org_id=org.id, username=username, email=username, phone=fields.get("phone"), name=fields.get("name"),
            language=fields.get("language"), status=INVITED, must_change_password=False, created_at=now, updated_at=now,
        )
    )
    repository.set_roles(uow.session, user_id, roles)
    user = repository.user(uow.session, user_id)
    send_invitation(uow, kit, user, org, roles)
    uow.audit("user.invited", "user", user_id, {"org_id": org.id, "roles": roles})
    return read_models.user_view(user, roles)


def _invitation_to_a_registered_address(uow: UnitOfWork, org: Any, fields: dict[str, Any], roles: list[str], holder: Any) -> dict[str, Any]:
    """What the inviter sees is what a new invitation shows; the holder of the address is told instead."""
    now = uow.clock.now()
    username = fields["email"].strip().lower()
    uow.emit(
        "identity.user.already_registered.v1",
        holder.id,
        {"user_id": holder.id, "email": holder.email, "inviting_org_name": org.name, "recipient": read_models.recipient(holder)},
    )
    uow.audit("user.invitation_to_registered_address", "organisation", org.id, {"roles": roles})
    unsaved = SimpleNamespace(id=str(uuid.uuid4()), org_id=org.id, username=username, email=username, phone=fields.get("phone"),
                              name=fields.get("name"), language=fields.get("language"), status=INVITED,
                              must_change_password=False, created_at=now, last_login_at=None)
    return read_models.user_view(unsaved, roles)


def send_invitation(uow: UnitOfWork, kit: IdentityKit, user: Any, org: Any, roles: list[str]) -> None:
    now = uow.clock.now()
    uow.session.execute(
        update(invitations).where(invitations.c.user_id == user.id, invitations.c.accepted_at.is_(None)).values(revoked_at=now)
    )
    token = random_token()
    expires_at = now + INVITATION_LIFETIME
    uow.session.execute(
        invitations.insert().values(
            id=str(uuid.uuid4()), user_id=user.id, token_hash=kit.digests.digest(token, INVITATION_CONTEXT), created_at=now,
            expires_at=expires_at,
        )
    )
    uow.emit(
        "identity.user.invited.v1",
        user.id,
        {
            "user_id": user.id, "org_id": org.id, "org_kind": org.kind, "email": user.email, "name": user.name, "roles": roles,
            "activation_url": kit.activation_url(token), "expires_at": isoformat(expires_at), "recipient": read_models.recipient(user),
        },
        tenant_id=read_models.tenant_of(org),
    )


def resend_invitation(uow: UnitOfWork, kit: IdentityKit, principal: Principal, user_id: str) -> dict[str, Any]:
    user, org = managed_user(uow, principal, user_id)
    if user.status != INVITED:
        raise conflict("not_invited", "only users who have not accepted their invitation get a new one")
    roles = repository.roles_of(uow.session, user_id)
    send_invitation(uow, kit, user, org, roles)
    uow.audit("user.invitation_resent", "user", user_id)
    return read_models.user_view(user, roles)


def accept_invitation(uow: UnitOfWork, kit: IdentityKit, token: str, password: str) -> dict[str, Any]:
    now = uow.clock.now()
    invitation = uow.session.execute(
        select(invitations).where(invitations.c.token_hash == kit.digests.digest(token, INVITATION_CONTEXT)).with_for_update()
    ).first()
    invalid = Problem(410, "invitation_invalid", "this invitation link is unknown, used or expired; ask for a new one")
    if invitation is None or invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= now:
        raise invalid
    user = repository.user(uow.session, invitation.user_id, for_update=True)
    if user is None or user.status != INVITED:
        raise invalid
    problems = policy_violations(password, user.username)
    if problems:
        raise validation({"password": problems}, "the password does not satisfy the password policy")
    uow.session.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(password_hash=kit.passwords.hash(password), status=ACTIVE, password_changed_at=now, updated_at=now)
    )
    uow.session.execute(update(invitations).where(invitations.c.id == invitation.id).values(accepted_at=now))
    uow.audit("user.activated", "user", user.id)
    announce_user(uow, user.id, "activated")
    return {"user_id": user.id, "username": user.username, "org_id": user.org_id}


USER_UPDATED = "identity.user.updated.v1"


def announce_user(uow: UnitOfWork, user_id: str, change: str) -> None:
    """Publishes the user's current summary (also for a deleted user), so read models of users follow."""
    user = uow.session.execute(select(users).where(users.c.id == user_id)).one()
    org = repository.organisation(uow.session, user.org_id)
    roles = repository.roles_of(uow.session, user_id)
    uow.emit(USER_UPDATED, user_id, read_models.user_event(user, org, roles, change, uow.clock.now()),
             tenant_id=read_models.tenant_of(org))


def managed_user(uow: UnitOfWork, principal: Principal, user_id: str) -> tuple[Any, Any]:
    """The user and its organisation (row-locked), if the principal manages that organisation."""
    user = repository.user(uow.session, user_id)
    if user is None:
        raise not_found("user")
    try:
        org = access.managed_organisation(uow.session, principal, user.org_id, for_update=True)
    except Problem as problem:
        raise not_found("user") if problem.status == 404 else problem from None
    return repository.user(uow.session, user_id, for_update=True), org


def visible_user(uow: UnitOfWork, principal: Principal, user_id: str) -> dict[str, Any]:
    user = repository.user(uow.session, user_id)
    org = repository.organisation(uow.session, user.org_id) if user else None
    if user is None or not (access.can_see(principal, org) or user.id == principal.sub):
        raise not_found("user")
    return read_models.user_view(user, repository.roles_of(uow.session, user_id))


def update_user(uow: UnitOfWork, principal: Principal, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    user, _org = managed_user(uow, principal, user_id)
    if changes:
        uow.session.execute(update(users).where(users.c.id == user_id).values(**changes, updated_at=uow.clock.now()))
        uow.audit("user.updated", "user", user_id, changes)
        announce_user(uow, user_id, "updated")
    return read_models.user_view(repository.user(uow.session, user_id), repository.roles_of(uow.session, user_id))


def disable_user(uow: UnitOfWork, principal: Principal, user_id: str) -> dict[str, Any]:
    user, org = managed_user(uow, principal, user_id)
    if user.status != DISABLED:
        _keep_an_enabled_admin(uow, org, user)
        now = uow.clock.now()
        uow.session.execute(update(users).where(users.c.id == user_id).values(status=DISABLED, updated_at=now))
        repository.revoke_refresh_tokens(uow.session, user_id, now)
        uow.audit("user.disabled", "user", user_id)
        announce_user(uow, user_id, "disabled")
    return read_models.user_view(repository.user(uow.session, user_id), repository.roles_of(uow.session, user_id))


def enable_user(uow: UnitOfWork, principal: Principal, user_id: str) -> dict[str, Any]:
    user, _org = managed_user(uow, principal, user_id)
    if user.status == DISABLED:
        status = ACTIVE if user.password_hash else INVITED
        uow.session.execute(update(users).where(users.c.id == user_id).values(status=status, updated_at=uow.clock.now()))
        uow.audit("user.enabled", "user", user_id)
        announce_user(uow, user_id, "enabled")
    return read_models.user_view(repository.user(uow.session, user_id), repository.roles_of(uow.session, user_id))


def delete_user(uow: UnitOfWork, principal: Principal, user_id: str) -> None:
    """Soft delete: the row stays for the audit trail; the username may be used again."""
    user, org = managed_user(uow, principal, user_id)
    _keep_an_enabled_admin(uow, org, user)
    now = uow.clock.now()
    uow.session.execute(update(users).where(users.c.id == user_id).values(status=DELETED, deleted_at=now, updated_at=now))
    uow.session.execute(
        update(invitations).where(invitations.c.user_id == user_id, invitations.c.accepted_at.is_(None)).values(revoked_at=now)
    )
    repository.revoke_refresh_tokens(uow.session, user_id, now)
    uow.audit("user.deleted", "user", user_id)
    announce_user(uow, user_id, "deleted")


def _keep_an_enabled_admin(uow: UnitOfWork, org: Any, user: Any) -> None:
    """409 last_admin if `user` is the organisation's only enabled admin (the org row is locked)."""
    role = kinds.admin_role(org.kind)
    if role is None or user.status != ACTIVE or role not in repository.roles_of(uow.session, user.id):
        return
    others = uow.session.execute(
        select(func.count()).select_from(
            repository.users_with_role(org.id, role).where(users.c.status == ACTIVE, users.c.id != user.id).subquery()
        )
    ).scalar_one()
    if others == 0:
        raise conflict("last_admin", "the last enabled admin of an organisation cannot be disabled or deleted")


def transfer_admin(uow: UnitOfWork, principal: Principal, org_id: str, user_id: str) -> dict[str, Any]:
    """The admin role moves to `user_id`; the previous admin(s) keep the organisation's member role.

    The previous admin is the caller when the caller is one; a platform operator moves it from all
    current admins. Organisations without a member role (tenants, the platform) add admins instead.
    """
    org = access.managed_organisation(uow.session, principal, org_id, for_update=True)
    role, member = kinds.admin_role(org.kind), kinds.MEMBER_ROLE_BY_KIND.get(org.kind)
    if role is None or member is None:
        detail = f"a {org.kind} organisation has no member role to step down to; add an admin instead"
        raise conflict("admin_transfer_not_supported", detail)
    target = repository.user(uow.session, user_id, for_update=True)
    if target is None or target.org_id != org_id:
        raise not_found("user")
    if target.status != ACTIVE:
        raise conflict("user_not_active", "the admin role can only go to an active user")
    if role in repository.roles_of(uow.session, user_id):
        raise conflict("already_admin", "this user already is an admin")
    current = [row.id for row in uow.session.execute(repository.users_with_role(org_id, role)).all()]
    previous = [principal.sub] if principal.sub in current else current
    for previous_id in previous:
        repository.set_roles(uow.session, previous_id, (set(repository.roles_of(uow.session, previous_id)) - {role}) | {member})
    repository.set_roles(uow.session, user_id, [role])
    uow.audit("organisation.admin_transferred", "organisation", org_id, {"to": user_id, "from": previous})
    for changed in (*previous, user_id):
        announce_user(uow, changed, "roles_changed")
    return read_models.user_view(repository.user(uow.session, user_id), [role])


def users_query(org_id: str, status: str | None, role: str | None, q: str | None) -> Any:
    query = select(users).where(users.c.org_id == org_id, users.c.deleted_at.is_(None)).order_by(users.c.created_at, users.c.id)
    if status:
        query = query.where(users.c.status == status)
    if role:
        query = query.where(users.c.id.in_(select(user_roles.c.user_id).where(user_roles.c.role == role)))
    if q:
        query = query.where(users.c.username.contains(q, autoescape=True) | users.c.name.contains(q, autoescape=True))
    return query


def tenant_admin(uow: UnitOfWork, principal: Principal, tenant_id: str, user_id: str) -> None:
    """404 unless `user_id` is an admin of tenant `tenant_id` that the principal can see."""
    access.tenant(uow.session, principal, tenant_id)
    user = repository.user(uow.session, user_id)
    if user is None or user.org_id != tenant_id or "tenant_admin" not in repository.roles_of(uow.session, user_id):
        raise not_found("admin")
