"""Per-organisation message preferences: language and extra notification addresses."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.notifier.adapters import message_store
from services.notifier.entrypoints.access import staff_or_organisation_admin
from services.notifier.entrypoints.schemas import PreferenceInput, PreferenceSchema
from services.notifier.service_layer.staff import set_organisation_preference
from shared.errors import not_found
from shared.web import db, uow

blp = Blueprint(
    "preferences", __name__, url_prefix="/notifier/v1/preferences", description="Organisations' message language and addresses"
)


def _preference(org_id: str) -> dict[str, Any]:
    row = message_store.organisation_preference(db(), org_id)
    if row is None:
        return {"org_id": org_id, "language": None, "emails": [], "updated_at": None}
    return dict(row._mapping)


@blp.route("/<org_id>")
class OrganisationPreference(MethodView):
    @staff_or_organisation_admin
    @blp.response(200, PreferenceSchema)
    def get(self, org_id: str) -> dict[str, Any]:
        """Read an organisation's message preferences (defaults when never set)"""
        if len(org_id) > 64:
            raise not_found("organisation")
        return _preference(org_id)

    @staff_or_organisation_admin
    @blp.arguments(PreferenceInput)
    @blp.response(200, PreferenceSchema)
    def put(self, body: dict[str, Any], org_id: str) -> dict[str, Any]:
        """Set an organisation's message language and extra notification addresses

        `language` (`zh-CN`, `en` or null) applies when an event names no language for its recipient;
        `emails` also receive the organisation's notices and reminders (never mails carrying secrets).
        """
        if len(org_id) > 64:
            raise not_found("organisation")
        set_organisation_preference(uow(), org_id, body["language"], body["emails"])
        db().flush()
        return _preference(org_id)
