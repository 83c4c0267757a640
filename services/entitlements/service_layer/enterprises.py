"""Enterprises by tax ID (ENT-4): validated, filled from the registration lookup, bound to one tenant."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.entitlements.adapters.locks import serialise_on
from services.entitlements.adapters.orm import enterprises
from services.entitlements.adapters.registration import RegistrationLookup
from services.entitlements.domain.masking import mask_tenant_name
from services.entitlements.service_layer.tenants import tenant_name
from shared.errors import Problem, not_found, validation
from shared.tax_ids import InvalidTaxId, parse_tax_id
from shared.uow import UnitOfWork


def enterprise_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "tax_id": row["tax_id"],
        "registration": row["registration"],
        "api_client_id": row["api_client_id"],
        "created_at": row["created_at"],
    }


def valid_tax_id(text: str) -> str:
    try:
        return parse_tax_id(text).value
    except InvalidTaxId as invalid:
        raise validation({"tax_id": [str(invalid)]}, "the tax ID is not valid") from None


def find_by_tax_id(session: Session, tax_id: str) -> Any:
    return session.execute(select(enterprises).where(enterprises.c.tax_id == tax_id)).first()


def bound_elsewhere(session: Session, tax_id: str, other_tenant_id: str) -> Problem:
    masked = mask_tenant_name(tenant_name(session, other_tenant_id))
    return Problem(
        409,
        "enterprise_bound_to_other_tenant",
        f"企业【{tax_id}】在租户【{masked}】下已有数据，一个企业只能绑定一个租户 "
        f"(enterprise {tax_id} belongs to tenant {masked}; one enterprise can be bound to one tenant only)",
        tenant_name=masked,
    )


def insert_enterprise(uow: UnitOfWork, tenant_id: str, name: str, tax_id: str, registration: dict | None) -> dict[str, Any]:
    values = {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "name": name,
        "tax_id": tax_id,
        "registration": registration,
        "first_allocated_at": None,
        "api_client_id": None,
        "api_client_issued_at": None,
        "created_at": uow.clock.now(),
    }
    uow.session.execute(enterprises.insert().values(**values))
    return values


def add_enterprise(uow: UnitOfWork, lookup: RegistrationLookup, *, tenant_id: str, name: str, tax_id: str) -> dict[str, Any]:
    tax_id = valid_tax_id(tax_id)
    serialise_on(uow.session, f"enterprise:{tax_id}")
    existing = find_by_tax_id(uow.session, tax_id)
    if existing is not None and existing.tenant_id != tenant_id:
        raise bound_elsewhere(uow.session, tax_id, existing.tenant_id)
    if existing is not None:
        raise Problem(409, "enterprise_exists", "this enterprise is already added", enterprise_id=existing.id)
    registration = lookup.find(tax_id)
    values = insert_enterprise(uow, tenant_id, name.strip(), tax_id, registration.to_dict() if registration else None)
    uow.audit("enterprise.added", "enterprise", values["id"], {"tax_id": tax_id, "name": values["name"]})
    return enterprise_view(values)


def look_up_registration(session: Session, lookup: RegistrationLookup, *, tenant_id: str, tax_id: str) -> dict[str, Any]:
    """What the 新增企业 form shows while the tax ID is typed: the ID validated (422 as when adding), its
    business registration if the lookup knows it, and whether it is already bound (here, or to another
    tenant, named masked as the add would say). Changes nothing."""
    tax_id = valid_tax_id(tax_id)
    registration = lookup.find(tax_id)
    existing = find_by_tax_id(session, tax_id)
    bound, masked = None, None
    if existing is not None:
        bound = "own" if existing.tenant_id == tenant_id else "other"
        masked = mask_tenant_name(tenant_name(session, existing.tenant_id)) if bound == "other" else None
    return {"tax_id": tax_id, "registration": registration.to_dict() if registration else None, "bound": bound,
            "tenant_name": masked}


def get_enterprise(session: Session, enterprise_id: str, tenant_id: str) -> dict[str, Any]:
    row = session.execute(select(enterprises).where(enterprises.c.id == enterprise_id)).first()
    if row is None or row.tenant_id != tenant_id:
        raise not_found("enterprise")
    return enterprise_view(row._mapping)


def enterprises_query(tenant_id: str, tax_id: str | None, q: str | None = None) -> Any:
    """The tenant's enterprises; `tax_id` exactly, `q` a part of the name or of the tax ID (any case)."""
    query = select(enterprises).where(enterprises.c.tenant_id == tenant_id).order_by(enterprises.c.created_at, enterprises.c.id)
    if tax_id:
        query = query.where(enterprises.c.tax_id == tax_id.strip().upper())
    if q and q.strip():
        text = q.strip()
        query = query.where(or_(enterprises.c.name.icontains(text, autoescape=True),
                                enterprises.c.tax_id.icontains(text, autoescape=True)))
    return query


def on_api_client_issued(uow: UnitOfWork, data: Mapping[str, Any]) -> None:
    """identity issued the enterprise's API client (ID-7): the portal shows it as its authorisation info."""
    uow.session.execute(
        enterprises.update()
        .where(enterprises.c.id == str(data["enterprise_id"]), enterprises.c.tenant_id == str(data["tenant_id"]))
        .values(api_client_id=data.get("client_id"), api_client_issued_at=uow.clock.now())
    )
