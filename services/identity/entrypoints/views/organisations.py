"""Organisations: resellers, dealers, companies (`/identity/v1/organisations`, ID-1, ID-5)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, page
from services.identity.service_layer import access, read_models
from services.identity.service_layer import organisations as orgs
from services.identity.service_layer import users as accounts
from shared.auth import current_principal, require
from shared.web import db, uow

blp = Blueprint("organisations", __name__, url_prefix=f"{PREFIX}/organisations", description="Organisations")


@blp.route("")
class Organisations(MethodView):
    @require()
    @blp.arguments(schemas.OrganisationCreateSchema)
    @blp.response(201, schemas.OrganisationSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create an organisation

        Platform staff create resellers, dealers (under a reseller) and companies (optionally under
        a company); reseller admins create dealers under their reseller. Tenants: POST /tenants.
        """
        return orgs.create_organisation(uow(), current_principal(), body)

    @require()
    @blp.arguments(schemas.OrganisationsQuerySchema, location="query")
    @blp.response(200, schemas.page_schema(schemas.OrganisationSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List organisations (staff: all; others: their own and its dealers)"""
        query = orgs.organisations_query(current_principal(), args.get("kind"), args.get("parent_id"), args.get("q"))
        return page(query, args, read_models.organisation_view)


@blp.route("/<org_id>")
class Organisation(MethodView):
    @require()
    @blp.response(200, schemas.OrganisationSchema)
    def get(self, org_id: str) -> dict[str, Any]:
        """An organisation"""
        return read_models.organisation_view(access.visible_organisation(db(), current_principal(), org_id))

    @require()
    @blp.arguments(schemas.OrganisationUpdateSchema)
    @blp.response(200, schemas.OrganisationSchema)
    def patch(self, changes: dict[str, Any], org_id: str) -> dict[str, Any]:
        """Change an organisation's name, contacts or status (disabled: its users cannot log in)

        Staff change anything; reseller admins their dealers; other admins only their contacts.
        """
        return orgs.update_organisation(uow(), current_principal(), org_id, changes)


@blp.route("/<org_id>/admin-transfer")
class AdminTransfer(MethodView):
    @require()
    @blp.arguments(schemas.AdminTransferSchema)
    @blp.response(200, schemas.UserSchema)
    def post(self, body: dict[str, Any], org_id: str) -> dict[str, Any]:
        """Transfer the organisation's admin role to another active user of it

        The previous admin (the caller, or for platform staff every current admin) keeps the
        organisation's member role (e.g. reseller_user).
        """
        return accounts.transfer_admin(uow(), current_principal(), org_id, body["user_id"])
