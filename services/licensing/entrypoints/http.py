"""HTTP endpoints of the licensing service (flask-smorest blueprints)."""
from __future__ import annotations

from flask_smorest import Blueprint

from services.licensing.entrypoints import enterprises, erp, labels, license_batches, service_groups


def blueprints() -> list[Blueprint]:
    return [
        erp.erp_blp,
        erp.serial_blp,
        enterprises.blp,
        service_groups.blp,
        license_batches.authorizations_blp,
        license_batches.cancellations_blp,
        license_batches.syncs_blp,
        labels.blp,
    ]
