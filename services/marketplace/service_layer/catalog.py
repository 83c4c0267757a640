"""The catalog: solutions with SKUs published by platform staff, keyword search, hot and similar solutions."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, desc, select, update
from sqlalchemy.exc import IntegrityError

from services.marketplace.adapters.orm import skus, solutions
from services.marketplace.service_layer.common import new_id, one_or_404
from shared.errors import Problem
from shared.uow import UnitOfWork

CATEGORIES = ("business_services", "cloud_apps", "backup_migration", "security", "other")
SIMILAR_LIMIT = 4


def search_text(name: str, summary: str, sku_rows: list[dict[str, Any]]) -> str:
    """What keyword search matches: names, summary, SKU names and codes, lower-cased (Chinese is unchanged)."""
    parts = [name, summary, *(s["name"] for s in sku_rows), *(s["code"] for s in sku_rows)]
    return " ".join(parts).lower()


def publish_solution(uow: UnitOfWork, data: dict[str, Any]) -> str:
    solution_id = new_id()
    now = uow.clock.now()
    sku_rows = data.pop("skus")
    _check_sku_codes(uow, [s["code"] for s in sku_rows], solution_id)
    uow.session.execute(solutions.insert().values(
        id=solution_id, published=True, sales_count=0, rating_sum=0, rating_count=0, created_at=now, updated_at=now,
        search_text=search_text(data["name"], data["summary"], sku_rows), **data,
    ))
    _save_skus(uow, solution_id, sku_rows)
    uow.audit("solution.published", "solution", solution_id, {"name": data["name"]})
    return solution_id


def update_solution(uow: UnitOfWork, solution_id: str, changes: dict[str, Any]) -> None:
    current = one_or_404(uow.session, select(solutions).where(solutions.c.id == solution_id), "solution")
    sku_rows = changes.pop("skus", None)
    if sku_rows is not None:
        _check_sku_codes(uow, [s["code"] for s in sku_rows], solution_id)
        _save_skus(uow, solution_id, sku_rows)
    active = [dict(r._mapping) for r in uow.session.execute(select(skus).where(skus.c.solution_id == solution_id, skus.c.active))]
    text = search_text(changes.get("name", current.name), changes.get("summary", current.summary), active)
    uow.session.execute(update(solutions).where(solutions.c.id == solution_id).values(
        search_text=text, updated_at=uow.clock.now(), **changes))
    uow.audit("solution.updated", "solution", solution_id, {"fields": sorted([*changes, *(["skus"] if sku_rows else [])])})


def _check_sku_codes(uow: UnitOfWork, codes: list[str], solution_id: str) -> None:
    if len(set(codes)) != len(codes):
        raise Problem(422, "duplicate_sku_code", "SKU codes must be unique", errors={"skus": ["duplicate code"]})
    taken = uow.session.execute(select(skus.c.code).where(skus.c.code.in_(codes), skus.c.solution_id != solution_id)).scalars().all()
    if taken:
        raise Problem(409, "sku_code_taken", f"SKU code already used by another solution: {', '.join(sorted(taken))}")


def _save_skus(uow: UnitOfWork, solution_id: str, sku_rows: list[dict[str, Any]]) -> None:
    """Upserts SKUs by code; SKUs left out are deactivated (orders keep their own copy of the SKU)."""
    existing = {r.code: r.id for r in uow.session.execute(select(skus.c.code, skus.c.id).where(skus.c.solution_id == solution_id))}
    uow.session.execute(update(skus).where(skus.c.solution_id == solution_id).values(active=False))
    for sku in sku_rows:
        if sku["code"] in existing:
            uow.session.execute(update(skus).where(skus.c.id == existing[sku["code"]]).values(active=True, **sku))
        else:
            try:
                with uow.session.begin_nested():
                    uow.session.execute(skus.insert().values(id=new_id(), solution_id=solution_id, active=True, **sku))
            except IntegrityError:
                raise Problem(409, "sku_code_taken", f"SKU code {sku['code']} is already used") from None


def search_query(q: str | None, category: str | None) -> Select:
    """Substring match on the lower-cased search text; on PostgreSQL a pg_trgm GIN index serves the LIKE."""
    query = select(solutions).where(solutions.c.published.is_(True))
    if category:
        query = query.where(solutions.c.category == category)
    if q:
        query = query.where(solutions.c.search_text.contains(q.strip().lower(), autoescape=True))
    return query.order_by(desc(solutions.c.sales_count), desc(solutions.c.rating_count), solutions.c.name, solutions.c.id)


def _rating_order() -> Any:
    return case((solutions.c.rating_count > 0, solutions.c.rating_sum * 1.0 / solutions.c.rating_count), else_=0)


def hot_solutions(uow: UnitOfWork, limit: int) -> list[Any]:
    """By sales first, then by average rating (热门解决方案: 销量及评分高)."""
    return list(uow.session.execute(
        select(solutions).where(solutions.c.published.is_(True))
        .order_by(desc(solutions.c.sales_count), desc(_rating_order()), solutions.c.name).limit(limit)
    ))


def solution_details(uow: UnitOfWork, solution_id: str, *, staff: bool) -> tuple[Any, list[Any], list[Any]]:
    query = select(solutions).where(solutions.c.id == solution_id)
    if not staff:
        query = query.where(solutions.c.published.is_(True))
    solution = one_or_404(uow.session, query, "solution")
    sku_list = list(uow.session.execute(select(skus).where(skus.c.solution_id == solution_id, skus.c.active).order_by(skus.c.code)))
    return solution, sku_list, similar_solutions(uow, solution)


def similar_solutions(uow: UnitOfWork, solution: Any) -> list[Any]:
    """The staff's chosen similar solutions, else the best sellers of the same category."""
    base = select(solutions).where(solutions.c.published.is_(True), solutions.c.id != solution.id)
    if solution.similar_ids:
        return list(uow.session.execute(base.where(solutions.c.id.in_(solution.similar_ids)).limit(SIMILAR_LIMIT)))
    return list(uow.session.execute(
        base.where(solutions.c.category == solution.category).order_by(desc(solutions.c.sales_count), solutions.c.name)
        .limit(SIMILAR_LIMIT)
    ))


def set_published(uow: UnitOfWork, solution_id: str, published: bool) -> None:
    result = uow.session.execute(update(solutions).where(solutions.c.id == solution_id).values(
        published=published, updated_at=uow.clock.now()))
    if result.rowcount != 1:
        raise Problem(404, "not_found", "solution not found")
    uow.audit("solution.published" if published else "solution.unpublished", "solution", solution_id)


def skus_of(uow: UnitOfWork, solution_ids: list[str]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {solution_id: [] for solution_id in solution_ids}
    for sku in uow.session.execute(select(skus).where(skus.c.solution_id.in_(solution_ids), skus.c.active).order_by(skus.c.code)):
        grouped[sku.solution_id].append(sku)
    return grouped
