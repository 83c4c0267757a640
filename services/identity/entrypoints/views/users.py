"""Users of organisations (`/identity/v1/users`, ID-4, ID-5) and the caller's own account."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.adapters import repository
from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, kit, page
from services.identity.service_layer import access, read_models
from services.identity.service_layer import users as accounts
from shared.auth import current_principal, require
from shared.errors import validation
from shared.web import db, uow

blp = Blueprint("users", __name__, url_prefix=PREFIX, description="Users and invitations")


def _user_page_view(row: Any) -> dict[str, Any]:
    return read_models.user_view(row, repository.roles_of(db(), row.id))


@blp.route("/users")
class Users(MethodView):
    @require()
    @blp.arguments(schemas.UserCreateSchema)
    @blp.response(201, schemas.UserSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Invite a user by e-mail

        Platform staff invite into any organisation (platform admins also into the platform);
        organisation admins into their own one, reseller admins also into their dealers. The roles
        must fit the organisation's kind. The activation link (72 h, single use) is mailed.
        """
        return accounts.invite_user(uow(), kit(), current_principal(), body)

    @require()
    @blp.arguments(schemas.UsersQuerySchema, location="query")
    @blp.response(200, schemas.page_schema(schemas.UserSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the users of one organisation (default: the caller's)"""
        principal = current_principal()
        org_id = args.get("org_id") or principal.org_id
        if org_id is None:
            raise validation({"org_id": ["is required"]})
        access.visible_organisation(db(), principal, org_id)
        query = accounts.users_query(org_id, args.get("status"), args.get("role"), args.get("q"))
        return page(query, args, _user_page_view)


@blp.route("/me")
class Me(MethodView):
    @require(allow_password_change=True)
    @blp.response(200, schemas.UserSchema)
    def get(self) -> dict[str, Any]:
        """The caller's own account"""
        return accounts.visible_user(uow(), current_principal(), current_principal().sub)


@blp.route("/users/<user_id>")
class User(MethodView):
    @require()
    @blp.response(200, schemas.UserSchema)
    def get(self, user_id: str) -> dict[str, Any]:
        """A user"""
        return accounts.visible_user(uow(), current_principal(), user_id)

    @require()
    @blp.arguments(schemas.UserUpdateSchema)
    @blp.response(200, schemas.UserSchema)
    def patch(self, changes: dict[str, Any], user_id: str) -> dict[str, Any]:
        """Edit a user's name, phone, contact e-mail or language"""
        return accounts.update_user(uow(), current_principal(), user_id, changes)

    @require()
    @blp.response(204)
    def delete(self, user_id: str) -> None:
        """Delete a user (kept for the audit trail; the e-mail may be invited again)"""
        accounts.delete_user(uow(), current_principal(), user_id)


@blp.route("/users/<user_id>/disable")
class UserDisabling(MethodView):
    @require()
    @blp.response(200, schemas.UserSchema)
    def post(self, user_id: str) -> dict[str, Any]:
        """Disable a user: no more logins, refresh tokens revoked (409 `last_admin` for the last admin)"""
        return accounts.disable_user(uow(), current_principal(), user_id)


@blp.route("/users/<user_id>/enable")
class UserEnabling(MethodView):
    @require()
    @blp.response(200, schemas.UserSchema)
    def post(self, user_id: str) -> dict[str, Any]:
        """Enable a disabled user"""
        return accounts.enable_user(uow(), current_principal(), user_id)


@blp.route("/users/<user_id>/invitation")
class Reinvitation(MethodView):
    @require()
    @blp.response(201, schemas.UserSchema)
    def post(self, user_id: str) -> dict[str, Any]:
        """Send a new activation link to a user who has not accepted yet (the old link dies)"""
        return accounts.resend_invitation(uow(), kit(), current_principal(), user_id)
