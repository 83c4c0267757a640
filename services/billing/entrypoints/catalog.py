"""Package categories / sub-categories and packages: support keeps them, everyone reads them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import CATALOG_KEEPERS, EVERYONE
from services.billing.service_layer import catalog
from shared.auth import require
from shared.web import db, page_of, uow

categories = Blueprint("package_categories", __name__, url_prefix="/billing/v1/package-categories", description="Package categories")
packages = Blueprint("packages", __name__, url_prefix="/billing/v1/packages", description="Renewal and value-added packages")


@categories.route("")
class Categories(MethodView):
    @require(*CATALOG_KEEPERS)
    @categories.arguments(schemas.CategoryIn)
    @categories.response(201, schemas.Category)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a category (no parent) or a sub-category (with `parent_code`)."""
        return catalog.create_category(uow(), body)

    @require(*EVERYONE)
    @categories.arguments(schemas.CategoryArgs, location="query")
    @categories.response(200, schemas.Category(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List categories; `top_level`, `parent_code` and `q` narrow the list."""
        return catalog.list_categories(db(), args.get("parent_code"), args.get("top_level"), args.get("q"))


@categories.route("/<code>")
class CategoryByCode(MethodView):
    @require(*EVERYONE)
    @categories.response(200, schemas.Category)
    def get(self, code: str) -> dict[str, Any]:
        """One category."""
        return catalog.require_category(db(), code)

    @require(*CATALOG_KEEPERS)
    @categories.arguments(schemas.CategoryPatch)
    @categories.response(200, schemas.Category)
    def patch(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        """Rename a category."""
        return catalog.update_category(uow(), code, body["name"])

    @require(*CATALOG_KEEPERS)
    @categories.response(204)
    def delete(self, code: str) -> None:
        """Delete an unused category (409 `category_in_use` otherwise)."""
        catalog.delete_category(uow(), code)


@packages.route("")
class Packages(MethodView):
    @require(*CATALOG_KEEPERS)
    @packages.arguments(schemas.PackageIn)
    @packages.response(201, schemas.Package)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a package; its kind (renewal / value_added) is its category's type."""
        return catalog.create_package(uow(), body)

    @require(*EVERYONE)
    @packages.arguments(schemas.PackageArgs, location="query")
    @packages.response(200, schemas.page_schema(schemas.Package, "PackagePage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search packages by code or name (`q`), category, sub-category, currency, pricing, kind."""
        return page_of(db(), catalog.search_packages(args), args["page"], args["page_size"])


@packages.route("/<code>")
class PackageByCode(MethodView):
    @require(*EVERYONE)
    @packages.response(200, schemas.Package)
    def get(self, code: str) -> dict[str, Any]:
        """One package."""
        return catalog.require_package(db(), code)

    @require(*CATALOG_KEEPERS)
    @packages.arguments(schemas.PackagePatch)
    @packages.response(200, schemas.Package)
    def patch(self, body: dict[str, Any], code: str) -> dict[str, Any]:
        """Change a package (new prices apply to orders created afterwards)."""
        return catalog.update_package(uow(), code, body)

    @require(*CATALOG_KEEPERS)
    @packages.response(204)
    def delete(self, code: str) -> None:
        """Delete a package no device is bound to."""
        catalog.delete_package(uow(), code)
