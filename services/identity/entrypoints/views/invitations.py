"""Accepting an invitation: the mailed link's token and the new password (`/identity/v1/invitations`)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, kit
from services.identity.service_layer import users as accounts
from shared.web import uow

blp = Blueprint("invitations", __name__, url_prefix=f"{PREFIX}/invitations", description="Invitations")


@blp.route("/accept")
class Acceptance(MethodView):
    @blp.arguments(schemas.InvitationAcceptSchema)
    @blp.response(200, schemas.ActivatedUserSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Accept an invitation and set the password

        The token is single use and valid 72 hours; unknown, used or expired tokens are all 410
        `invitation_invalid`. The password follows the password policy (422 otherwise).
        """
        return accounts.accept_invitation(uow(), kit(), body["token"], body["password"])
