"""Products: `/entitlements/v1/products`."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.entitlements.entrypoints.schemas import ProductIn, ProductListArgs, ProductOut, ProductPage
from services.entitlements.service_layer import products as handlers
from shared.auth import PLATFORM_STAFF, current_principal, require
from shared.errors import Problem
from shared.web import db, page_of, uow

blp = Blueprint("products", __name__, url_prefix="/entitlements/v1/products", description="Seat and traffic products")


@blp.route("")
class Products(MethodView):
    @require(*PLATFORM_STAFF)
    @blp.arguments(ProductIn)
    @blp.response(201, ProductOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a product (platform staff)"""
        if not current_principal().is_platform_staff:
            raise Problem(403, "forbidden", "platform staff only")
        return handlers.create_product(uow(), **body)

    @require()
    @blp.arguments(ProductListArgs, location="query")
    @blp.response(200, ProductPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List products"""
        page = page_of(db(), handlers.list_products_query(args["kind"]), args["page"], args["page_size"])
        return {**page, "items": [handlers.product_view(row._mapping) for row in page["items"]]}
