"""The tenant dashboard of seed 000 in one call, and the queries behind its drill-downs.

With 10,000 enterprises and a million ledger rows (bench/tenant_dashboard.py) the counts dominate:
the seats held per product and the daily-total rows and units consumed per product are each counted
in one grouped query, and the first pages then only fetch their few rows.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import allocations, enterprises, order_lines, orders, products, usage_daily
from services.entitlements.domain.expiry import days_left
from services.entitlements.service_layer.allocations import ACTIVE, allocation_view, allocations_query
from services.entitlements.service_layer.digital_invoice import current_info, info_view
from services.entitlements.service_layer.orders import order_summary, unallocated_orders_query
from services.entitlements.service_layer.tenants import find_tenant
from services.entitlements.service_layer.usage import daily_query
from shared.web import page_of

EXPIRY_WINDOWS = ("30", "60", "90", "expired")
FIRST_PAGE = 5


def expiring_lines_query(tenant_id: str, today: date, window: str) -> Any:
    """Lines ending within 30/60/90 days (windows include each other), or already expired."""
    query = (
        select(order_lines, orders.c.order_no, products.c.name.label("product_name"))
        .join(orders, orders.c.id == order_lines.c.order_id)
        .join(products, products.c.code == order_lines.c.product_code)
        .where(order_lines.c.tenant_id == tenant_id, order_lines.c.quantity > 0)
    )
    if window == "expired":
        return query.where(order_lines.c.valid_to < today).order_by(order_lines.c.valid_to.desc(), order_lines.c.id)
    return query.where(order_lines.c.valid_to >= today, order_lines.c.valid_to <= today + timedelta(days=int(window))).order_by(
        order_lines.c.valid_to, order_lines.c.id)


def expiring_line_view(row: Mapping[str, Any], today: date) -> dict[str, Any]:
    return {
        "line_id": row["id"], "order_id": row["order_id"], "order_no": row["order_no"], "product_code": row["product_code"],
        "product_name": row["product_name"], "kind": row["kind"], "serial_number": row["serial_number"],
        "quantity": row["quantity"], "allocated": row["allocated"] if row["kind"] == "seat" else None,
        "valid_from": row["valid_from"].isoformat(), "valid_to": row["valid_to"].isoformat(),
        "days_left": days_left(row["valid_to"], today),
    }


AFFECTED_NAMED = 10  # enterprises named per line; `enterprise_count` says how many hold a seat of it


def enterprises_on_lines(session: Session, line_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per line, the enterprises holding an active seat of it: `{line_id: {enterprise_count, enterprises}}`,
    `enterprises` the first AFFECTED_NAMED by name ({name, tax_id}); lines without seats are left out."""
    if not line_ids:
        return {}
    held = (select(allocations.c.order_line_id, enterprises.c.name, enterprises.c.tax_id)
            .join(enterprises, enterprises.c.id == allocations.c.enterprise_id)
            .where(allocations.c.order_line_id.in_(line_ids), allocations.c.status == ACTIVE))
    affected: dict[str, dict[str, Any]] = {}
    for line_id in line_ids:
        rows = session.execute(held.where(allocations.c.order_line_id == line_id)
                               .order_by(enterprises.c.name, enterprises.c.tax_id).limit(AFFECTED_NAMED)).all()
        if rows:
            count = session.execute(select(func.count()).select_from(allocations).where(
                allocations.c.order_line_id == line_id, allocations.c.status == ACTIVE)).scalar_one()
            affected[line_id] = {"enterprise_count": count, "enterprises": [{"name": r.name, "tax_id": r.tax_id} for r in rows]}
    return affected


def with_enterprises(session: Session, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Expiring-line views naming the enterprises affected (`enterprise_count`, `enterprises`)."""
    affected = enterprises_on_lines(session, [view["line_id"] for view in views])
    none = {"enterprise_count": 0, "enterprises": []}
    return [{**view, **affected.get(view["line_id"], none)} for view in views]


def _page(session: Session, query: Any, view: Any) -> dict[str, Any]:
    page = page_of(session, query, 1, FIRST_PAGE)
    return {"total": page["total"], "items": [view(row._mapping) for row in page["items"]]}


def _counted_page(session: Session, query: Any, view: Any, total: int) -> dict[str, Any]:
    """The first page when its total is already known (counted with the others in one grouped query)."""
    rows = session.execute(query.limit(FIRST_PAGE)).all() if total else []
    return {"total": total, "items": [view(row._mapping) for row in rows]}


def _tenant(session: Session, tenant_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    tenant = find_tenant(session, tenant_id)
    if tenant is None:
        return {"id": tenant_id, "name": None}, []
    info = {name: getattr(tenant, name) for name in ("id", "name", "contact_email", "contact_phone", "status", "created_at")}
    admins = [{"user_id": tenant.admin_user_id, "username": tenant.admin_username}] if tenant.admin_user_id else []
    return info, admins


def seat_products(session: Session, tenant_id: str, today: date) -> list[dict[str, Any]]:
    held = dict(session.execute(
        select(order_lines.c.product_code, func.count())
        .select_from(allocations.join(order_lines, order_lines.c.id == allocations.c.order_line_id))
        .where(allocations.c.tenant_id == tenant_id, allocations.c.status == ACTIVE)
        .group_by(order_lines.c.product_code)
    ).all())
    rows = session.execute(
        select(order_lines.c.product_code, products.c.name, order_lines.c.service_group,
               func.sum(order_lines.c.quantity).label("quantity"), func.sum(order_lines.c.allocated).label("allocated"))
        .join(products, products.c.code == order_lines.c.product_code)
        .where(order_lines.c.tenant_id == tenant_id, order_lines.c.kind == "seat", order_lines.c.valid_to >= today)
        .group_by(order_lines.c.product_code, products.c.name, order_lines.c.service_group)
        .order_by(order_lines.c.product_code)
    ).all()
    return [
        {"product_code": row.product_code, "product_name": row.name, "right_type": row.service_group,
         "quantity": int(row.quantity), "allocated": int(row.allocated),
         "enterprises": _counted_page(session, allocations_query(tenant_id, product_code=row.product_code), allocation_view,
                                      held.get(row.product_code, 0))}
        for row in rows
    ]


def traffic_balances(session: Session, tenant_id: str, today: date) -> list[dict[str, Any]]:
    usable = and_(order_lines.c.activated.is_(True), order_lines.c.valid_from <= today, order_lines.c.valid_to >= today)
    rows = session.execute(
        select(order_lines.c.product_code, products.c.name, products.c.traffic_category, products.c.units_per_use,
               func.sum(case((usable, order_lines.c.remaining), else_=0)).label("balance"),
               func.sum(case((usable, order_lines.c.quantity), else_=0)).label("purchased"))
        .join(products, products.c.code == order_lines.c.product_code)
        .where(order_lines.c.tenant_id == tenant_id, order_lines.c.kind == "traffic")
        .group_by(order_lines.c.product_code, products.c.name, products.c.traffic_category, products.c.units_per_use)
        .order_by(order_lines.c.product_code)
    ).all()
    daily = {row.product_code: row for row in session.execute(
        select(usage_daily.c.product_code, func.count().label("days"), func.sum(usage_daily.c.units).label("units"))
        .where(usage_daily.c.tenant_id == tenant_id)
        .group_by(usage_daily.c.product_code)
    )}
    return [
        {"product_code": row.product_code, "product_name": row.name, "category": row.traffic_category,
         "deduction_rule": {"units_per_use": row.units_per_use}, "balance": int(row.balance), "purchased": int(row.purchased),
         "consumed": int(daily[row.product_code].units) if row.product_code in daily else 0,
         "consumption": _counted_page(session, daily_query(tenant_id, product_code=row.product_code, tax_id=None, day_from=None,
                                                           day_to=None), daily_view,
                                      daily[row.product_code].days if row.product_code in daily else 0)}
        for row in rows
    ]


def daily_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"day": row["day"].isoformat(), "product_code": row["product_code"], "tax_id": row["tax_id"] or None,
            "units": int(row["units"]), "uses": row["uses"]}


def _named(session: Session, page: dict[str, Any]) -> dict[str, Any]:
    return {**page, "items": with_enterprises(session, page["items"])}


def dashboard(session: Session, tenant_id: str, today: date) -> dict[str, Any]:
    tenant, admins = _tenant(session, tenant_id)
    digital = current_info(session, tenant_id)
    return {
        "tenant": tenant,
        "admins": admins,
        "unallocated_orders": _page(session, unallocated_orders_query(tenant_id, today), order_summary),
        "expiring": {window: _named(session, _page(session, expiring_lines_query(tenant_id, today, window),
                                                   lambda row: expiring_line_view(row, today))) for window in EXPIRY_WINDOWS},
        "products": seat_products(session, tenant_id, today),
        "traffic": traffic_balances(session, tenant_id, today),
        "digital_invoice": info_view(digital._mapping, today) if digital else None,
    }
