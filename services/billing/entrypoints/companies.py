"""Customer companies known to billing (from identity), within the caller's scope."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import EVERYONE, caller
from services.billing.service_layer.companies import companies_query
from shared.auth import require
from shared.web import db, page_of

blp = Blueprint("companies", __name__, url_prefix="/billing/v1/companies", description="Customer companies and subsidiaries")


@blp.route("")
class Companies(MethodView):
    @require(*EVERYONE)
    @blp.arguments(schemas.CompanyScopeArgs, location="query")
    @blp.response(200, schemas.page_schema(schemas.Company, "CompanyPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List companies: a company and its direct or all subsidiaries (`scope`)."""
        query = companies_query(db(), caller(), args.get("company_id"), args["scope"])
        return page_of(db(), query, args["page"], args["page_size"])
