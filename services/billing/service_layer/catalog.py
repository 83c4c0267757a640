"""Package categories, sub-categories and packages (support staff keep them; everyone may read them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.billing.adapters.orm import devices, package_categories, packages
from services.billing.domain.errors import NotFound, RuleViolation, StateConflict
from shared.uow import UnitOfWork

CATEGORY_TYPES = ("renewal", "value_added")


def create_category(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any]:
    """No parent makes a category; a parent (itself a category) makes a sub-category of the same type."""
    session = uow.session
    if _category(session, fields["code"]) is not None:
        raise StateConflict("category_exists", f"category {fields['code']} already exists")
    parent_code = fields.get("parent_code")
    if parent_code:
        parent = _category(session, parent_code)
        if parent is None or parent.parent_code is not None:
            raise RuleViolation(
                "unknown_parent_category", "the parent must be an existing top-level category", errors={"parent_code": ["unknown"]}
            )
        if parent.type != fields["type"]:
            raise RuleViolation(
                "category_type_mismatch", "a sub-category has its category's type", errors={"type": [f"must be {parent.type}"]}
            )
    session.execute(package_categories.insert().values({**fields, "parent_code": parent_code or None, "created_at": uow.clock.now()}))
    uow.audit("category.created", "package_category", fields["code"], fields)
    return require_category(session, fields["code"])


def update_category(uow: UnitOfWork, code: str, name: str) -> dict[str, Any]:
    require_category(uow.session, code)
    uow.session.execute(package_categories.update().where(package_categories.c.code == code).values(name=name))
    uow.audit("category.updated", "package_category", code, {"name": name})
    return require_category(uow.session, code)


def delete_category(uow: UnitOfWork, code: str) -> None:
    """Only an unused category goes: no sub-categories and no packages under it."""
    session = uow.session
    require_category(session, code)
    in_use = (
        session.execute(select(package_categories.c.code).where(package_categories.c.parent_code == code).limit(1)).first()
        or session.execute(
            select(packages.c.code).where(or_(packages.c.category_code == code, packages.c.subcategory_code == code)).limit(1)
        ).first()
    )
    if in_use:
        raise StateConflict("category_in_use", "sub-categories or packages still use this category")
    session.execute(package_categories.delete().where(package_categories.c.code == code))
    uow.audit("category.deleted", "package_category", code)


def list_categories(session: Session, parent_code: str | None, top_level: bool | None, q: str | None) -> list[dict[str, Any]]:
    query = select(package_categories).order_by(package_categories.c.code)
    if parent_code:
        query = query.where(package_categories.c.parent_code == parent_code)
    if top_level is not None:
        query = query.where(package_categories.c.parent_code.is_(None) if top_level else package_categories.c.parent_code.is_not(None))
    if q:
        query = query.where(
            or_(package_categories.c.code.contains(q, autoescape=True), package_categories.c.name.contains(q, autoescape=True))
        )
    return [dict(r._mapping) for r in session.execute(query)]


def require_category(session: Session, code: str) -> dict[str, Any]:
    row = _category(session, code)
    if row is None:
        raise NotFound("category")
    return dict(row._mapping)


def create_package(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any]:
    session = uow.session
    if _package(session, fields["code"]) is not None:
        raise StateConflict("package_exists", f"package {fields['code']} already exists")
    kind = _check_categories(session, fields["category_code"], fields.get("subcategory_code"))
    session.execute(packages.insert().values(**fields, kind=kind, created_at=uow.clock.now()))
    uow.audit("package.created", "package", fields["code"], fields)
    return require_package(session, fields["code"])


def update_package(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = require_package(uow.session, code)
    if "category_code" in changes or "subcategory_code" in changes:
        category = changes.get("category_code", current["category_code"])
        sub = changes.get("subcategory_code", current["subcategory_code"])
        changes["kind"] = _check_categories(uow.session, category, sub)
    if changes:
        uow.session.execute(packages.update().where(packages.c.code == code).values(**changes))
    uow.audit("package.updated", "package", code, {k: v for k, v in changes.items()})
    return require_package(uow.session, code)


def delete_package(uow: UnitOfWork, code: str) -> None:
    """A package bound to devices stays until the bindings are removed."""
    require_package(uow.session, code)
    if uow.session.execute(select(devices.c.device_id).where(devices.c.package_code == code).limit(1)).first():
        raise StateConflict("package_in_use", "devices are bound to this package; remove the bindings first")
    uow.session.execute(packages.delete().where(packages.c.code == code))
    uow.audit("package.deleted", "package", code)


def search_packages(filters: dict[str, Any]) -> Any:
    query = select(packages).order_by(packages.c.code)
    for column in ("category_code", "subcategory_code", "currency", "pricing", "kind"):
        if filters.get(column):
            query = query.where(packages.c[column] == filters[column])
    if filters.get("q"):
        q = filters["q"]
        query = query.where(or_(packages.c.code.contains(q, autoescape=True), packages.c.name.contains(q, autoescape=True)))
    return query


def require_package(session: Session, code: str) -> dict[str, Any]:
    row = _package(session, code)
    if row is None:
        raise NotFound("package")
    return dict(row._mapping)


def _check_categories(session: Session, category_code: str, subcategory_code: str | None) -> str:
    """The category must be top-level and the sub-category one of its own; returns the package kind."""
    category = _category(session, category_code)
    if category is None or category.parent_code is not None:
        raise RuleViolation("unknown_category", "no such top-level category", errors={"category_code": ["unknown"]})
    if subcategory_code:
        sub = _category(session, subcategory_code)
        if sub is None or sub.parent_code != category_code:
            raise RuleViolation("unknown_subcategory", "no such sub-category of that category", errors={"subcategory_code": ["unknown"]})
    return category.type


def _category(session: Session, code: str) -> Any:
    return session.execute(select(package_categories).where(package_categories.c.code == code)).first()


def _package(session: Session, code: str) -> Any:
    return session.execute(select(packages).where(packages.c.code == code)).first()
