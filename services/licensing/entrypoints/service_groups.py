"""The service groups of the tenant: (A/AA) counts and serial numbers, as the left-hand list of the seed."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.licensing.adapters import repository
from services.licensing.domain.model import ServiceGroup, serial_number_required
from services.licensing.entrypoints.schemas import ServiceGroupsSchema
from services.licensing.entrypoints.tenancy import tenant_id
from services.licensing.service_layer import views
from shared.auth import require
from shared.web import current_context, db

blp = Blueprint("service-groups", __name__, url_prefix="/licensing/v1/service-groups", description="Service groups with (A/AA)")


@blp.route("")
class ServiceGroupsView(MethodView):
    @require("tenant_admin")
    @blp.response(200, ServiceGroupsSchema)
    def get(self) -> dict[str, Any]:
        """List the service groups with their (A/AA) counts and serial numbers"""
        tenant, session, today = tenant_id(), db(), current_context().clock.today()
        instance = repository.get_erp_instance(session, tenant)
        items = []
        for group in ServiceGroup:
            counts = views.group_counts(session, tenant, group, today)
            items.append(
                {
                    "service_group": group,
                    "authorized": counts.authorized,
                    "licensed": counts.licensed,
                    "serial_number": instance.serial_numbers[group] if instance else None,
                    "serial_number_required": serial_number_required(instance.license_type, instance.idc) if instance else False,
                }
            )
        return {"items": items}
