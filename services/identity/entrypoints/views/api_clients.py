"""Enterprise API clients: list, one-time reveal, secret rotation (`/identity/v1/api-clients`, ID-7)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, kit, page
from services.identity.service_layer import api_clients
from shared.auth import PLATFORM_STAFF, current_principal, require
from shared.web import uow

blp = Blueprint("api_clients", __name__, url_prefix=f"{PREFIX}/api-clients", description="Enterprise API clients")


@blp.route("")
class ApiClients(MethodView):
    @require("tenant_admin", *PLATFORM_STAFF)
    @blp.arguments(schemas.ApiClientsQuerySchema, location="query")
    @blp.response(200, schemas.page_schema(schemas.ApiClientSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List API clients (a tenant admin: the tenant's; staff: all or `tenant_id`'s)"""
        query = api_clients.clients_query(current_principal(), args.get("tenant_id"), args.get("tax_id"))
        return page(query, args, api_clients.client_view)


@blp.route("/<client_id>/reveal")
class Reveal(MethodView):
    @require("tenant_admin")
    @blp.response(200, schemas.ApiClientRevealSchema)
    def post(self, client_id: str) -> dict[str, Any]:
        """Show the client secret and encrypt key, once (again: 409 `already_revealed`)"""
        return api_clients.reveal(uow(), kit(), current_principal(), client_id)


@blp.route("/<client_id>/rotate-secret")
class SecretRotation(MethodView):
    @require("tenant_admin")
    @blp.response(200, schemas.ApiClientSchema)
    def post(self, client_id: str) -> dict[str, Any]:
        """Replace the client secret at once; the new one can be revealed once"""
        return api_clients.rotate_secret(uow(), kit(), current_principal(), client_id)
