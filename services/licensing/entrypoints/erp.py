"""The tenant's ERP instance (license type, IDC) and its product serial numbers per service group."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.licensing.adapters import repository
from services.licensing.adapters.repository import ErpInstance
from services.licensing.domain.model import ServiceGroup, serial_number_required
from services.licensing.entrypoints.schemas import ErpInstanceArgs, ErpInstanceSchema, SerialNumbersSchema
from services.licensing.entrypoints.tenancy import tenant_id
from services.licensing.service_layer import erp
from shared.auth import require
from shared.errors import Problem
from shared.web import db, uow

erp_blp = Blueprint("erp-instance", __name__, url_prefix="/licensing/v1/erp-instance", description="The tenant's ERP instance")
serial_blp = Blueprint(
    "serial-numbers", __name__, url_prefix="/licensing/v1/serial-numbers", description="Product serial numbers per service group"
)


def erp_instance_body(instance: ErpInstance) -> dict[str, Any]:
    return {
        "tenant_id": instance.tenant_id,
        "license_type": instance.license_type,
        "idc": instance.idc,
        "serial_numbers": {group.value: sn for group, sn in instance.serial_numbers.items()},
        "serial_number_required": serial_number_required(instance.license_type, instance.idc),
        "created_at": instance.created_at,
        "updated_at": instance.updated_at,
    }


def _instance() -> ErpInstance:
    instance = repository.get_erp_instance(db(), tenant_id())
    if instance is None:
        raise Problem(404, "erp_instance_not_found", "this tenant has no ERP instance yet")
    return instance


@erp_blp.route("")
class ErpInstanceView(MethodView):
    @require("tenant_admin")
    @erp_blp.response(200, ErpInstanceSchema)
    def get(self) -> dict[str, Any]:
        """Show the ERP instance"""
        return erp_instance_body(_instance())

    @require("tenant_admin")
    @erp_blp.arguments(ErpInstanceArgs)
    @erp_blp.response(200, ErpInstanceSchema)
    def put(self, args: dict[str, Any]) -> dict[str, Any]:
        """Set the ERP instance's license type (created on first use)"""
        return erp_instance_body(erp.configure_erp_instance(uow(), tenant_id(), args["license_type"], args["idc"]))


@serial_blp.route("")
class SerialNumbersView(MethodView):
    @require("tenant_admin")
    @serial_blp.response(200, SerialNumbersSchema)
    def get(self) -> dict[str, Any]:
        """Show the product serial numbers"""
        return {group.value: sn for group, sn in _instance().serial_numbers.items()}

    @require("tenant_admin")
    @serial_blp.arguments(SerialNumbersSchema)
    @serial_blp.response(200, SerialNumbersSchema)
    def put(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace the product serial numbers (null or empty clears one)"""
        serials = {ServiceGroup(group): sn for group, sn in args.items()}
        instance = erp.set_serial_numbers(uow(), tenant_id(), serials)
        return {group.value: sn for group, sn in instance.serial_numbers.items()}
