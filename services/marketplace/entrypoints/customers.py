"""A reseller's customers (我的客户): list, add, edit, delete."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.marketplace.entrypoints.access import current_channel, resellers_only
from services.marketplace.entrypoints.schemas.resellers import SearchQuery
from services.marketplace.entrypoints.schemas.sales import Customer, CustomerChanges, CustomerInput, CustomerPage
from services.marketplace.service_layer import customers
from shared.web import page_of, uow

blp = Blueprint("customers", __name__, url_prefix="/marketplace/v1/customers", description="Customers of a reseller")


@blp.route("")
class Customers(MethodView):
    @resellers_only()
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, CustomerPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your customers, searchable by name, company, email or phone"""
        return page_of(uow().session, customers.customers_query(current_channel(), args.get("q")), args["page"], args["page_size"])

    @resellers_only()
    @blp.arguments(CustomerInput)
    @blp.response(201, Customer)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a customer"""
        unit, channel = uow(), current_channel()
        return customers.customer_of(unit, channel, customers.add_customer(unit, channel, data))


@blp.route("/<customer_id>")
class CustomerDetails(MethodView):
    @resellers_only()
    @blp.response(200, Customer)
    def get(self, customer_id: str) -> Any:
        """A customer of yours (another reseller's is 404)"""
        return customers.customer_of(uow(), current_channel(), customer_id)

    @resellers_only()
    @blp.arguments(CustomerChanges)
    @blp.response(200, Customer)
    def patch(self, changes: dict[str, Any], customer_id: str) -> Any:
        """Edit a customer"""
        unit, channel = uow(), current_channel()
        customers.edit_customer(unit, channel, customer_id, changes)
        return customers.customer_of(unit, channel, customer_id)

    @resellers_only()
    @blp.response(204)
    def delete(self, customer_id: str) -> None:
        """Delete a customer without orders"""
        customers.delete_customer(uow(), current_channel(), customer_id)
