"""Billing account configuration of a company (cycle, auto-renew, notifications, language, emails)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import CUSTOMER, caller, company_of_request
from services.billing.service_layer import account_config
from shared.auth import require
from shared.web import db, page_of, uow

blp = Blueprint("account_config", __name__, url_prefix="/billing/v1", description="Billing account configuration")

CONFIGURERS = (CUSTOMER, "sales", "support", "platform_admin")


@blp.route("/account-config")
class AccountConfig(MethodView):
    @require(*CONFIGURERS)
    @blp.arguments(schemas.AccountConfigIn)
    @blp.response(200, schemas.AccountConfig)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Save a company's config (customers: their company or a subsidiary; staff: any company)."""
        who = caller()
        company_id = company_of_request(who, body.pop("company_id", None))
        return account_config.save(uow(), who, company_id, body)

    @require(*CONFIGURERS)
    @blp.arguments(schemas.AccountConfigArgs, location="query")
    @blp.response(200, schemas.AccountConfig)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """A company's config (404 when none is saved)."""
        who = caller()
        return account_config.get(db(), who, company_of_request(who, args.get("company_id")))

    @require(*CONFIGURERS)
    @blp.arguments(schemas.AccountConfigArgs, location="query")
    @blp.response(204)
    def delete(self, args: dict[str, Any]) -> None:
        """Delete a company's config."""
        who = caller()
        account_config.delete(uow(), who, company_of_request(who, args.get("company_id")))


@blp.route("/account-configs")
class AccountConfigs(MethodView):
    @require(*CONFIGURERS)
    @blp.arguments(schemas.CompanyScopeArgs, location="query")
    @blp.response(200, schemas.page_schema(schemas.AccountConfig, "AccountConfigPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Configs of a company and its direct or all subsidiaries (`scope`)."""
        query = account_config.configs_query(db(), caller(), args.get("company_id"), args["scope"])
        return page_of(db(), query, args["page"], args["page_size"])
