"""HTTP endpoints of the identity service (flask-smorest blueprints, one per resource)."""
from __future__ import annotations

from flask_smorest import Blueprint

from services.identity.entrypoints.views import (
    api_clients,
    audit_log,
    auth,
    invitations,
    oauth,
    organisations,
    signing_keys,
    tenants,
    users,
)


def blueprints() -> list[Blueprint]:
    return [
        auth.blp,
        signing_keys.blp,
        oauth.blp,
        tenants.blp,
        organisations.blp,
        users.blp,
        invitations.blp,
        api_clients.blp,
        audit_log.blp,
    ]
