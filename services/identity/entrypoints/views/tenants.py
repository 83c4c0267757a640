"""Tenants and their admins (`/identity/v1/tenants`, ID-2 and ID-4)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.adapters import repository
from services.identity.adapters.orm import users
from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, kit, page
from services.identity.service_layer import access, read_models
from services.identity.service_layer import organisations as orgs
from services.identity.service_layer import users as accounts
from shared.auth import PLATFORM_STAFF, current_principal, require
from shared.web import PageArgs, db, page_of, uow

blp = Blueprint("tenants", __name__, url_prefix=f"{PREFIX}/tenants", description="Tenants and their admins")
ADMIN_ROLE = "tenant_admin"
DISABLED_USER = "disabled"


def _admins_query(tenant_id: str) -> Any:
    return repository.users_with_role(tenant_id, ADMIN_ROLE).order_by(users.c.created_at, users.c.id)


def _admin_views(rows: list[Any]) -> list[dict[str, Any]]:
    roles = repository.roles_of_many(db(), [row.id for row in rows])
    return [{**read_models.user_view(row, roles[row.id]), "enabled": row.status != DISABLED_USER} for row in rows]


def _admins(tenant_id: str) -> list[dict[str, Any]]:
    return _admin_views(db().execute(_admins_query(tenant_id)).all())


def _tenant_view(org: Any) -> dict[str, Any]:
    return read_models.tenant_view(org, _admins(org.id))


@blp.route("")
class Tenants(MethodView):
    @require(*PLATFORM_STAFF)
    @blp.arguments(schemas.TenantCreateSchema)
    @blp.response(201, schemas.TenantCreatedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a tenant and its first admin

        The admin's username is the e-mail; a random initial password is mailed with the portal link
        (event identity.tenant.created.v1) and must be changed at first login.
        """
        return orgs.create_tenant(uow(), kit(), body)

    @require(*PLATFORM_STAFF)
    @blp.arguments(schemas.TenantsQuerySchema, location="query")
    @blp.response(200, schemas.page_schema(schemas.TenantSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List or search tenants (platform staff): ?q= matches the name, contact e-mail or phone; ?status="""
        return page(orgs.tenants_query(args.get("q"), args.get("status")), args, _tenant_view)


@blp.route("/<tenant_id>")
class Tenant(MethodView):
    @require()
    @blp.response(200, schemas.TenantSchema)
    def get(self, tenant_id: str) -> dict[str, Any]:
        """A tenant's details and admins (platform staff, or the tenant's own users)"""
        return _tenant_view(access.tenant(db(), current_principal(), tenant_id))


@blp.route("/<tenant_id>/admins")
class TenantAdmins(MethodView):
    @require()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, schemas.page_schema(schemas.TenantAdminSchema))
    def get(self, args: dict[str, Any], tenant_id: str) -> dict[str, Any]:
        """The tenant's admins, a page: each with its state (`status`, `enabled`) and last sign-in (`last_login_at`)"""
        access.tenant(db(), current_principal(), tenant_id)
        result = page_of(db(), _admins_query(tenant_id), args["page"], args["page_size"])
        return {**result, "items": _admin_views(result["items"])}


@blp.route("/<tenant_id>/admins/<user_id>")
class TenantAdmin(MethodView):
    @require(*PLATFORM_STAFF, ADMIN_ROLE)
    @blp.arguments(schemas.AdminUpdateSchema)
    @blp.response(200, schemas.UserSchema)
    def patch(self, changes: dict[str, Any], tenant_id: str, user_id: str) -> dict[str, Any]:
        """Edit an admin's phone, e-mail or name"""
        unit = uow()
        accounts.tenant_admin(unit, current_principal(), tenant_id, user_id)
        return accounts.update_user(unit, current_principal(), user_id, changes)


@blp.route("/<tenant_id>/admins/<user_id>/disable")
class TenantAdminDisabling(MethodView):
    @require(*PLATFORM_STAFF, ADMIN_ROLE)
    @blp.response(200, schemas.UserSchema)
    def post(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        """Disable an admin: no more logins, refresh tokens revoked (409 `last_admin` for the last one)"""
        unit = uow()
        accounts.tenant_admin(unit, current_principal(), tenant_id, user_id)
        return accounts.disable_user(unit, current_principal(), user_id)


@blp.route("/<tenant_id>/admins/<user_id>/enable")
class TenantAdminEnabling(MethodView):
    @require(*PLATFORM_STAFF, ADMIN_ROLE)
    @blp.response(200, schemas.UserSchema)
    def post(self, tenant_id: str, user_id: str) -> dict[str, Any]:
        """Enable a disabled admin"""
        unit = uow()
        accounts.tenant_admin(unit, current_principal(), tenant_id, user_id)
        return accounts.enable_user(unit, current_principal(), user_id)
