"""The tenant read model (from identity's events) and the recipient of the tenant's mails."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import tenants
from shared.envelope import Event
from shared.uow import UnitOfWork


def _upsert(uow: UnitOfWork, tenant_id: str, values: dict[str, Any]) -> None:
    values = {k: v for k, v in values.items() if v is not None}
    values["updated_at"] = uow.clock.now()
    exists = uow.session.execute(select(tenants.c.id).where(tenants.c.id == tenant_id)).first()
    if exists:
        uow.session.execute(tenants.update().where(tenants.c.id == tenant_id).values(**values))
    else:
        uow.session.execute(tenants.insert().values(id=tenant_id, **{"name": "", **values}))


def on_tenant_created(uow: UnitOfWork, event: Event) -> None:
    data = event.data
    admin = data.get("admin") or {}
    recipient = data.get("recipient") or {}
    _upsert(
        uow,
        str(data["tenant_id"]),
        {
            "name": data.get("name"),
            "contact_email": data.get("contact_email"),
            "contact_phone": data.get("contact_phone"),
            "status": data.get("status"),
            "language": recipient.get("language"),
            "admin_user_id": admin.get("user_id"),
            "admin_username": admin.get("username"),
            "created_at": data.get("created_at"),
        },
    )


def on_organisation_changed(uow: UnitOfWork, event: Event) -> None:
    """Only tenants matter here; other organisation kinds are ignored."""
    data = event.data
    if data.get("kind") != "tenant":
        return
    _upsert(
        uow,
        str(data["org_id"]),
        {
            "name": data.get("name"),
            "contact_email": data.get("contact_email"),
            "contact_phone": data.get("contact_phone"),
            "status": data.get("status"),
        },
    )


def find_tenant(session: Session, tenant_id: str) -> Any:
    return session.execute(select(tenants).where(tenants.c.id == tenant_id)).first()


def recipient_of(tenant: Any) -> dict[str, Any] | None:
    """The tenant contact as the notifier's `recipient` (seed 001: mails go to the original contact address)."""
    if tenant is None or not tenant.contact_email:
        return None
    return {"email": tenant.contact_email, "phone": tenant.contact_phone, "name": tenant.name, "language": tenant.language}


def tenant_recipient(session: Session, tenant_id: str) -> dict[str, Any] | None:
    return recipient_of(find_tenant(session, tenant_id))


def tenant_names(session: Session, tenant_ids: set[str]) -> dict[str, str]:
    """Names of the tenants a page of rows names (one query), for lists that show a name beside each id."""
    if not tenant_ids:
        return {}
    return {row.id: row.name for row in session.execute(select(tenants.c.id, tenants.c.name).where(tenants.c.id.in_(tenant_ids)))}


def tenant_name(session: Session, tenant_id: str) -> str | None:
    row = session.execute(select(tenants.c.name).where(tenants.c.id == tenant_id)).first()
    return row.name if row else None
