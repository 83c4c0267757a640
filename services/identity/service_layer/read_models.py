"""How identity's rows are shown: in API answers and in event payloads."""
from __future__ import annotations

from typing import Any

from shared.clock import isoformat


def organisation_view(org: Any) -> dict[str, Any]:
    return {
        "id": org.id,
        "kind": org.kind,
        "name": org.name,
        "parent_id": org.parent_id,
        "status": org.status,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "external_ref": org.external_ref,
        "created_at": isoformat(org.created_at),
        "updated_at": isoformat(org.updated_at),
    }


def organisation_event(org: Any) -> dict[str, Any]:
    return {
        "org_id": org.id,
        "kind": org.kind,
        "name": org.name,
        "parent_id": org.parent_id,
        "status": org.status,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "external_ref": org.external_ref,
    }


def tenant_view(org: Any, admins: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "status": org.status,
        "created_at": isoformat(org.created_at),
        "admins": admins,
    }


def user_view(user: Any, roles: list[str]) -> dict[str, Any]:
    return {
        "id": user.id,
        "org_id": user.org_id,
        "username": user.username,
        "email": user.email,
        "phone": user.phone,
        "name": user.name,
        "language": user.language,
        "roles": roles,
        "status": user.status,
        "must_change_password": bool(user.must_change_password),
        "created_at": isoformat(user.created_at),
        "last_login_at": isoformat(user.last_login_at),
    }


def recipient(user: Any) -> dict[str, Any]:
    return {"email": user.email, "phone": user.phone, "name": user.name, "language": user.language}


def tenant_of(org: Any) -> str | None:
    """The tenant id an event about this organisation is filed under (None outside tenants)."""
    return org.id if org.kind == "tenant" else None


def user_event(user: Any, org: Any, roles: list[str], change: str, as_of: Any) -> dict[str, Any]:
    """The summary `identity.user.updated.v1` carries (no secrets, no password state)."""
    return {
        "user_id": user.id, "org_id": org.id, "org_kind": org.kind, "email": user.email, "name": user.name,
        "phone": user.phone, "roles": roles, "status": user.status, "last_login_at": isoformat(user.last_login_at),
        "change": change, "as_of": isoformat(as_of),
    }
