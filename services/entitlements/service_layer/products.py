"""Products (ENT-1): seats of a service group, or metered traffic with a deduction rule."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import products
from services.entitlements.domain.orders import SERVICE_GROUPS
from shared.errors import Problem, validation
from shared.uow import UnitOfWork

PRODUCT_FIELDS = ("id", "code", "name", "kind", "service_group", "traffic_category", "units_per_use")


def product_view(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in PRODUCT_FIELDS}


def create_product(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    kind: str,
    service_group: str | None,
    traffic_category: str | None,
    units_per_use: int,
) -> dict[str, Any]:
    if kind == "seat" and service_group not in SERVICE_GROUPS:
        raise validation({"service_group": [f"a seat product needs one of {', '.join(SERVICE_GROUPS)}"]})
    if kind == "traffic" and service_group:
        raise validation({"service_group": ["traffic products have no service group"]})
    if uow.session.execute(select(products.c.id).where(products.c.code == code)).first():
        raise Problem(409, "product_exists", f"a product with code {code} exists")
    values = {
        "id": str(uuid.uuid4()),
        "code": code,
        "name": name,
        "kind": kind,
        "service_group": service_group if kind == "seat" else None,
        "traffic_category": traffic_category if kind == "traffic" else None,
        "units_per_use": units_per_use,
        "created_at": uow.clock.now(),
    }
    uow.session.execute(products.insert().values(**values))
    uow.audit("product.created", "product", values["id"], {"code": code, "kind": kind})
    return product_view(values)


def products_by_code(session: Session, codes: set[str]) -> dict[str, Any]:
    rows = session.execute(select(products).where(products.c.code.in_(codes))).all()
    return {row.code: row for row in rows}


def list_products_query(kind: str | None) -> Any:
    query = select(products).order_by(products.c.code)
    return query.where(products.c.kind == kind) if kind else query
