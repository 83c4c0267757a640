"""The catalog: publish and edit solutions (platform staff), browse, search, hot and similar solutions."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.marketplace.entrypoints.access import CATALOG_STAFF, caller_is_staff, staff_only
from services.marketplace.entrypoints.schemas.catalog import (
    Categories,
    HotList,
    HotQuery,
    Solution,
    SolutionChanges,
    SolutionInput,
    SolutionPage,
    SolutionQuery,
)
from services.marketplace.service_layer import catalog
from shared.web import page_of, uow

blp = Blueprint("solutions", __name__, url_prefix="/marketplace/v1", description="Catalog of solutions and SKUs")


def cards(rows: list[Any]) -> list[dict[str, Any]]:
    """Solutions as list cards: SKUs, the lowest price, the average rating."""
    sku_map = catalog.skus_of(uow(), [row.id for row in rows])
    result = []
    for row in rows:
        solution_skus = sku_map[row.id]
        cheapest = min(solution_skus, key=lambda s: s.price_minor, default=None)
        result.append({
            **row._mapping, "skus": solution_skus,
            "rating": round(row.rating_sum / row.rating_count, 2) if row.rating_count else None,
            "from_price_minor": cheapest.price_minor if cheapest else None,
            "currency": cheapest.currency if cheapest else None,
        })
    return result


def details(solution_id: str) -> dict[str, Any]:
    solution, _skus, similar = catalog.solution_details(uow(), solution_id, staff=caller_is_staff())
    return {**cards([solution])[0], "similar": cards(similar)}


@blp.route("/solutions")
class Solutions(MethodView):
    @staff_only(*CATALOG_STAFF)
    @blp.arguments(SolutionInput)
    @blp.response(201, Solution)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a solution with its SKUs and entitlement mapping (platform staff)"""
        return details(catalog.publish_solution(uow(), data))

    @blp.arguments(SolutionQuery, location="query")
    @blp.response(200, SolutionPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search published solutions by keyword and category"""
        page = page_of(uow().session, catalog.search_query(args.get("q"), args.get("category")), args["page"], args["page_size"])
        return {**page, "items": cards(page["items"])}


@blp.route("/solutions/hot")
class HotSolutions(MethodView):
    @blp.arguments(HotQuery, location="query")
    @blp.response(200, HotList)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Hot solutions: best sellers, then best rated"""
        return {"items": cards(catalog.hot_solutions(uow(), args["limit"]))}


@blp.route("/categories")
class SolutionCategories(MethodView):
    @blp.response(200, Categories)
    def get(self) -> dict[str, Any]:
        """The catalog's categories"""
        return {"categories": list(catalog.CATEGORIES)}


@blp.route("/solutions/<solution_id>")
class SolutionDetails(MethodView):
    @blp.response(200, Solution)
    def get(self, solution_id: str) -> dict[str, Any]:
        """A solution: overview, cases, resources, support, SKUs, similar solutions"""
        return details(solution_id)

    @staff_only(*CATALOG_STAFF)
    @blp.arguments(SolutionChanges)
    @blp.response(200, Solution)
    def patch(self, changes: dict[str, Any], solution_id: str) -> dict[str, Any]:
        """Edit a solution; SKUs are matched by code, SKUs left out are withdrawn (platform staff)"""
        catalog.update_solution(uow(), solution_id, changes)
        return details(solution_id)


@blp.route("/solutions/<solution_id>/publish")
class PublishSolution(MethodView):
    @staff_only(*CATALOG_STAFF)
    @blp.response(200, Solution)
    def post(self, solution_id: str) -> dict[str, Any]:
        """Publish a withdrawn solution again (platform staff)"""
        catalog.set_published(uow(), solution_id, True)
        return details(solution_id)


@blp.route("/solutions/<solution_id>/withdraw")
class WithdrawSolution(MethodView):
    @staff_only(*CATALOG_STAFF)
    @blp.response(200, Solution)
    def post(self, solution_id: str) -> dict[str, Any]:
        """Withdraw a solution from the catalog (platform staff)"""
        catalog.set_published(uow(), solution_id, False)
        return details(solution_id)
