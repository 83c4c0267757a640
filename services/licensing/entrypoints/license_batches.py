"""Batch authorization, cancellation and manual re-sync of licenses, with one result per tax ID."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.licensing.entrypoints.schemas import BatchArgs, BatchResultsSchema, SyncArgs
from services.licensing.entrypoints.tenancy import actor, tenant_id
from services.licensing.service_layer import licenses
from shared.auth import require
from shared.idempotency import idempotent
from shared.web import uow

authorizations_blp = Blueprint(
    "authorizations", __name__, url_prefix="/licensing/v1/authorizations", description="License authorization in batch"
)
cancellations_blp = Blueprint(
    "cancellations", __name__, url_prefix="/licensing/v1/cancellations", description="License cancellation in batch"
)
syncs_blp = Blueprint("syncs", __name__, url_prefix="/licensing/v1/syncs", description="Manual sync with the rights platform")


@authorizations_blp.route("")
class AuthorizationsView(MethodView):
    @idempotent
    @require("tenant_admin")
    @authorizations_blp.arguments(BatchArgs)
    @authorizations_blp.response(200, BatchResultsSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Authorize enterprises in a service group and sync each to entitlements"""
        return {"results": licenses.authorize(uow(), tenant_id(), args["service_group"], args["tax_ids"], *actor())}


@cancellations_blp.route("")
class CancellationsView(MethodView):
    @idempotent
    @require("tenant_admin")
    @cancellations_blp.arguments(BatchArgs)
    @cancellations_blp.response(200, BatchResultsSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cancel authorized enterprises' licenses (each is locked for 60 days) and sync the release"""
        return {"results": licenses.cancel(uow(), tenant_id(), args["service_group"], args["tax_ids"])}


@syncs_blp.route("")
class SyncsView(MethodView):
    @idempotent
    @require("tenant_admin")
    @syncs_blp.arguments(SyncArgs)
    @syncs_blp.response(200, BatchResultsSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Send again the authorization (authorized ones) or the cancellation (not authorized ones)"""
        return {"results": licenses.resync(uow(), tenant_id(), args["service_group"], args["tax_ids"], args["action"])}
