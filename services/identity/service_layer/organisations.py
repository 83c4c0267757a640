"""Organisations and tenants (ID-1, ID-2): creating them, changing them, and the events that follow."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select, update

from services.identity.adapters import repository
from services.identity.adapters.orm import organisations, users
from services.identity.domain import organisations as kinds
from services.identity.domain.passwords import initial_password
from services.identity.service_layer import access, read_models
from services.identity.service_layer.kit import IdentityKit
from shared.auth import Principal
from shared.clock import isoformat
from shared.envelope import Event
from shared.errors import Problem, conflict, validation
from shared.uow import UnitOfWork

CREATABLE_KINDS = (kinds.RESELLER, kinds.DEALER, kinds.COMPANY)


def add_organisation(uow: UnitOfWork, *, kind: str, name: str, parent_id: str | None = None, contact_email: str | None = None,
                     contact_phone: str | None = None, external_ref: str | None = None) -> Any:
    """Insert an organisation and announce it; the caller has checked who may do this."""
    now = uow.clock.now()
    org_id = str(uuid.uuid4())
    uow.session.execute(
        organisations.insert().values(
            id=org_id, kind=kind, name=name, parent_id=parent_id, status=kinds.ACTIVE, contact_email=contact_email,
            contact_phone=contact_phone, external_ref=external_ref, created_at=now, updated_at=now,
        )
    )
    org = repository.organisation(uow.session, org_id)
    tenant_id = org_id if kind == kinds.TENANT else None
    uow.emit("identity.organisation.created.v1", org_id, read_models.organisation_event(org), tenant_id=tenant_id)
    uow.audit("organisation.created", "organisation", org_id, {"kind": kind, "name": name, "parent_id": parent_id})
    return org


def create_organisation(uow: UnitOfWork, principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    kind = fields["kind"]
    if kind not in CREATABLE_KINDS:
        raise validation({"kind": [f"create {kind} organisations elsewhere: tenants with POST /identity/v1/tenants"]})
    parent_id = fields.get("parent_id")
    if not principal.is_platform_staff:
        if kind != kinds.DEALER or not principal.has_any("reseller_admin") or principal.org_kind != kinds.RESELLER:
            raise Problem(403, "forbidden", "only platform staff, or reseller admins adding dealers, create organisations")
        parent_id = parent_id or principal.org_id
    parent = access.visible_organisation(uow.session, principal, parent_id) if parent_id else None
    if parent is not None and not principal.is_platform_staff:
        access.managed_organisation(uow.session, principal, parent_id)
    if not kinds.parent_fits(kind, parent.kind if parent else None):
        raise validation({"parent_id": [f"a {kind} cannot belong to {'a ' + parent.kind if parent else 'nothing'}"]})
    ref = fields.get("external_ref")
    if ref and repository.organisation_by_ref(uow.session, ref) is not None:
        raise conflict("external_ref_taken", "an organisation with this external reference exists")
    org = add_organisation(
        uow, kind=kind, name=fields["name"], parent_id=parent_id, contact_email=fields.get("contact_email"),
        contact_phone=fields.get("contact_phone"), external_ref=ref,
    )
    return read_models.organisation_view(org)


def update_organisation(uow: UnitOfWork, principal: Principal, org_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    org = access.managed_organisation(uow.session, principal, org_id, for_update=True)
    if not principal.is_platform_staff and org.kind != kinds.DEALER and set(changes) - {"contact_email", "contact_phone"}:
        raise Problem(403, "forbidden", "only platform staff change an organisation's name or status")
    if changes.get("status") == kinds.DISABLED and org.kind == kinds.PLATFORM:
        raise conflict("platform_cannot_be_disabled", "the platform organisation cannot be disabled")
    if not changes:
        return read_models.organisation_view(org)
    return read_models.organisation_view(_change(uow, org_id, changes))


def _change(uow: UnitOfWork, org_id: str, changes: dict[str, Any]) -> Any:
    """Writes the changes (disabling revokes every refresh token of the organisation's users) and announces them."""
    now = uow.clock.now()
    uow.session.execute(update(organisations).where(organisations.c.id == org_id).values(**changes, updated_at=now))
    if changes.get("status") == kinds.DISABLED:
        for row in uow.session.execute(select(users.c.id).where(users.c.org_id == org_id)).all():
            repository.revoke_refresh_tokens(uow.session, row.id, now)
    org = repository.organisation(uow.session, org_id)
    uow.emit("identity.organisation.updated.v1", org_id, read_models.organisation_event(org), tenant_id=read_models.tenant_of(org))
    uow.audit("organisation.updated", "organisation", org_id, changes)
    return org


DEALER_STATUS = {"marketplace.dealer.disabled.v1": kinds.DISABLED, "marketplace.dealer.enabled.v1": kinds.ACTIVE}


def follow_dealer_status(uow: UnitOfWork, event: Event) -> None:
    """Consumer of marketplace.dealer.disabled.v1 / enabled.v1: the dealer's organisation follows (a disabled one's
    users cannot sign in, their refresh tokens die). Only a dealer organisation of the reseller named is changed."""
    data = event.data
    status = DEALER_STATUS[event.type]
    org = repository.organisation(uow.session, str(data["org_id"]), for_update=True) if data.get("org_id") else None
    if org is None or org.kind != kinds.DEALER or org.parent_id != data.get("reseller_id"):
        uow.audit("organisation.dealer_status_ignored", "dealer", str(data["dealer_id"]), {"org_id": data.get("org_id")})
        return
    if org.status != status:
        _change(uow, org.id, {"status": status})


def organisations_query(principal: Principal, kind: str | None, parent_id: str | None, q: str | None) -> Any:
    query = select(organisations).order_by(organisations.c.created_at, organisations.c.id)
    if not principal.is_platform_staff:
        query = query.where(
            (organisations.c.id == principal.org_id)
            | ((organisations.c.parent_id == principal.org_id) & (organisations.c.kind == kinds.DEALER))
        )
    if kind:
        query = query.where(organisations.c.kind == kind)
    if parent_id:
        query = query.where(organisations.c.parent_id == parent_id)
    if q:
        query = query.where(organisations.c.name.contains(q, autoescape=True))
    return query


def tenants_query(q: str | None, status: str | None) -> Any:
    """Tenants for platform staff, oldest first; `q` a part of the name, contact e-mail or phone (any case)."""
    query = select(organisations).where(organisations.c.kind == kinds.TENANT).order_by(organisations.c.created_at, organisations.c.id)
    if q and q.strip():
        text = q.strip()
        query = query.where(or_(organisations.c.name.icontains(text, autoescape=True),
                                organisations.c.contact_email.icontains(text, autoescape=True),
                                organisations.c.contact_phone.icontains(text, autoescape=True)))
    if status:
        query = query.where(organisations.c.status == status)
    return query


def create_tenant(uow: UnitOfWork, kit: IdentityKit, fields: dict[str, Any]) -> dict[str, Any]:
    """A tenant and its first admin, who logs in with a random initial password mailed to them."""
    username = fields["admin_email"].strip().lower()
    if repository.username_taken(uow.session, username):
        raise conflict("username_taken", "a user with this e-mail exists", errors={"admin_email": ["is already a username"]})
    org = add_organisation(
        uow, kind=kinds.TENANT, name=fields["name"], contact_email=fields.get("contact_email") or username,
        contact_phone=fields.get("contact_phone") or fields["admin_phone"],
    )
    password = initial_password()
    now = uow.clock.now()
    admin_id = str(uuid.uuid4())
    uow.session.execute(
        users.insert().values(
            id=admin_id, org_id=org.id, username=username, email=username, phone=fields["admin_phone"], name=fields.get("admin_name"),
            language=fields.get("language"), status=kinds.ACTIVE, password_hash=kit.passwords.hash(password),
            must_change_password=True, created_at=now, updated_at=now,
        )
    )
    repository.set_roles(uow.session, admin_id, ["tenant_admin"])
    admin = repository.user(uow.session, admin_id)
    uow.emit(
        "identity.tenant.created.v1",
        org.id,
        {
            "tenant_id": org.id, "name": org.name, "contact_email": org.contact_email, "contact_phone": org.contact_phone,
            "status": org.status, "created_at": isoformat(org.created_at), "portal_url": kit.settings.portal_url,
            "admin": {"user_id": admin_id, "username": username}, "initial_password": password,
            "recipient": read_models.recipient(admin),
        },
        tenant_id=org.id,
    )
    uow.audit("tenant.created", "organisation", org.id, {"name": org.name, "admin_user_id": admin_id})
    return {"id": org.id, "name": org.name, "admin": {"id": admin_id, "username": username}}

