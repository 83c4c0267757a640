"""The public keys of identity's token signatures, and their rotation."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, kit
from shared.auth import require
from shared.clock import isoformat
from shared.web import db, uow

blp = Blueprint("signing_keys", __name__, url_prefix=PREFIX, description="Token signing keys")


@blp.route("/.well-known/jwks.json")
class Jwks(MethodView):
    @blp.response(200, schemas.JwksSchema)
    def get(self) -> dict[str, Any]:
        """The JSON Web Key Set verifying identity's tokens

        The current key and keys retired less than a token lifetime (plus a margin) ago.
        """
        return kit().keys.jwks(db())


@blp.route("/signing-keys/rotate")
class Rotation(MethodView):
    @require("platform_admin")
    @blp.response(201, schemas.RotatedKeySchema)
    def post(self) -> dict[str, Any]:
        """Rotate the signing key

        The new key is published at once and signs tokens from `activates_at` on (a few seconds
        later, so every verifier can fetch it first); the old key stays published until its tokens
        expired. 409 `rotation_pending` while the previous rotation's key is not active yet.
        """
        unit = uow()
        kid, activates_at = kit().keys.rotate(unit.session)
        unit.audit("signing_key.rotated", "signing_key", kid, {"activates_at": isoformat(activates_at)})
        return {"kid": kid, "activates_at": isoformat(activates_at)}
