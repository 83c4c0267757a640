"""The OAuth 2.0 client-credentials grant for enterprise API clients."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, kit
from services.identity.service_layer import api_clients
from shared.errors import Problem, validation
from shared.web import uow

blp = Blueprint("oauth", __name__, url_prefix=f"{PREFIX}/oauth", description="API-client tokens")
GRANT = schemas.ClientCredentialsSchema()


def _grant_request() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        raise Problem(400, "invalid_request", "send a form or a JSON object", error="invalid_request")
    try:
        return GRANT.load(body, unknown="exclude")
    except ValidationError as exc:
        raise validation({k: v if isinstance(v, list) else [str(v)] for k, v in exc.messages.items()}) from None


@blp.route("/token")
class Token(MethodView):
    @blp.doc(
        requestBody={
            "content": {
                "application/x-www-form-urlencoded": {"schema": schemas.ClientCredentialsSchema},
                "application/json": {"schema": schemas.ClientCredentialsSchema},
            }
        }
    )
    @blp.response(200, schemas.ClientTokenSchema)
    def post(self) -> dict[str, Any]:
        """Get an access token for an API client (client_credentials)

        Form or JSON body `grant_type=client_credentials`, `client_id`, `client_secret`. The token
        carries role `api_client`, the tenant as `org_id` and the enterprise's `tax_id`. A wrong client or secret is 401 `invalid_client`.
        """
        grant = _grant_request()
        if grant["grant_type"] != "client_credentials":
            raise Problem(400, "unsupported_grant_type", "only client_credentials is supported", error="unsupported_grant_type")
        return api_clients.client_token(uow(), kit(), grant["client_id"], grant["client_secret"])
