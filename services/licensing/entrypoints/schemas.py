"""Request and response schemas of the licensing API."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.licensing.domain.labels import LABELS
from services.licensing.domain.model import AuthorizationStatus, LicenseType, ServiceGroup, SyncAction, SyncStatus
from shared.clock import isoformat
from shared.labels import label, request_language
from shared.tax_ids import InvalidTaxId, parse_tax_id
from shared.web import PageArgs

MAX_BATCH = 500


class TaxId(fields.String):
    """A tax ID, upper-cased and checked (USCC check character, or a legacy 15/17/20-character ID)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            return parse_tax_id(super()._deserialize(value, attr, data, **kwargs)).value
        except InvalidTaxId as invalid:
            raise ValidationError(f"not a valid tax ID: {invalid}") from None


class UtcDateTime(fields.DateTime):
    """An ISO 8601 UTC time ending in Z."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value)


def _group() -> fields.Enum:
    return fields.Enum(ServiceGroup, by_value=True, required=True)


def _serial_number() -> fields.String:
    return fields.String(required=True, allow_none=True, validate=validate.Length(max=64))


class ErpInstanceArgs(Schema):
    license_type = fields.Enum(LicenseType, by_value=True, required=True)
    idc = fields.Boolean(load_default=False, metadata={"description": "deployed in an IDC (only matters for formal licenses)"})


class SerialNumbersSchema(Schema):
    invoice_issuing = _serial_number()
    invoice_receiving = _serial_number()

    @post_load
    def blank_is_none(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {group: (value.strip() or None) if value is not None else None for group, value in data.items()}


class ErpInstanceSchema(Schema):
    tenant_id = fields.String()
    license_type = fields.Enum(LicenseType, by_value=True)
    idc = fields.Boolean()
    serial_numbers = fields.Nested(SerialNumbersSchema)
    serial_number_required = fields.Boolean(metadata={"description": "whether syncs need a product serial number"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class EnterpriseArgs(Schema):
    tax_id = TaxId(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class EnterpriseBatchArgs(Schema):
    enterprises = fields.List(fields.Nested(EnterpriseArgs), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class ImportedEnterpriseSchema(Schema):
    tax_id = fields.String()
    name = fields.String()


class ImportResultSchema(Schema):
    tax_id = fields.String()
    ok = fields.Boolean()
    code = fields.String(metadata={"description": "`imported` or `already_imported`"})


class ImportResultsSchema(Schema):
    results = fields.List(fields.Nested(ImportResultSchema))


class LicenseListArgs(PageArgs):
    service_group = _group()
    authorization_status = fields.Enum(AuthorizationStatus, by_value=True, load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100), metadata={"description": "part of a tax ID or name"})


class Labelled(fields.Method):
    """`<code field>_label`: the label of the object's code field in the request's language (Accept-Language)."""

    def __init__(self, kind: str, field_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(allow_none=True, dump_only=True, metadata={"description": f"label of {field_name or kind} (Accept-Language)"},
                         **kwargs)
        self.kind, self.field_name = kind, field_name or kind

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        code = obj.get(self.field_name) if isinstance(obj, dict) else getattr(obj, self.field_name, None)
        return label(LABELS, self.kind, code, request_language())


class LicenseSchema(Schema):
    tax_id = fields.String()
    name = fields.String()
    service_group = fields.Enum(ServiceGroup, by_value=True)
    authorization_status = fields.Enum(AuthorizationStatus, by_value=True)
    authorized_at = UtcDateTime(allow_none=True)
    authorized_by = fields.String(allow_none=True, metadata={"description": "the id of the user (or API client) who authorized"})
    authorized_by_name = fields.String(allow_none=True, metadata={"description": "their name (or username) beside the id"})
    sync_status = fields.String(allow_none=True, metadata={"description": "null (never synced, or in progress), succeeded, failed"})
    sync_pending = fields.Boolean(metadata={"description": "a sync was sent and its answer has not come yet"})
    sync_action = fields.Enum(SyncAction, by_value=True, allow_none=True)
    sync_error = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    cancelled_at = UtcDateTime(allow_none=True)
    reauthorizable_on = fields.Date(allow_none=True, metadata={"description": "while the 60-day lock holds, its first free day"})
    authorization_status_label = Labelled("authorization_status")
    sync_status_label = Labelled("sync_status")
    sync_error_label = Labelled("sync_error")
    service_group_label = Labelled("service_group")


class LicensePageSchema(Schema):
    items = fields.List(fields.Nested(LicenseSchema))
    service_group = fields.Enum(ServiceGroup, by_value=True)
    authorized = fields.Integer(metadata={"description": "A of (A/AA): enterprises authorized in this group"})
    licensed = fields.Integer(metadata={"description": "AA of (A/AA): seats of this group licensed to the tenant"})
    total = fields.Integer(metadata={"description": "enterprises matching the filters (rows, for paging)"})
    page = fields.Integer()
    page_size = fields.Integer()


class BatchArgs(Schema):
    service_group = _group()
    tax_ids = fields.List(TaxId(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class SyncArgs(BatchArgs):
    action = fields.Enum(SyncAction, by_value=True, required=True)


class TaxIdResultSchema(Schema):
    tax_id = fields.String()
    ok = fields.Boolean()
    code = fields.String(
        metadata={
            "description": "authorized, cancelled, sync_requested; or why not: enterprise_not_imported, already_authorized, "
            "reauthorization_locked, not_authorized, still_authorized, not_cancelled"
        }
    )
    unlock_on = fields.Date(allow_none=True, metadata={"description": "with reauthorization_locked: the first day it may be"})
    sync_status = fields.Method("shown_sync_status", allow_none=True)
    sync_error = fields.String(allow_none=True)
    code_label = Labelled("result_code", "code")
    sync_error_label = Labelled("sync_error")

    def shown_sync_status(self, result: Any) -> str | None:
        return shown_sync_status(result.sync_status)


class BatchResultsSchema(Schema):
    results = fields.List(fields.Nested(TaxIdResultSchema))


class CapabilitiesSchema(Schema):
    tax_id = fields.String()
    can_issue = fields.Boolean()
    can_receive = fields.Boolean()
    locked_until = fields.Date(allow_none=True, metadata={"description": "end of a 60-day cancellation lock, if one holds"})


class ServiceGroupSchema(Schema):
    service_group = fields.Enum(ServiceGroup, by_value=True)
    service_group_label = Labelled("service_group")
    authorized = fields.Integer(metadata={"description": "A of (A/AA): enterprises authorized in this group"})
    licensed = fields.Integer(metadata={"description": "AA of (A/AA): seats of this group licensed to the tenant"})
    serial_number = fields.String(allow_none=True)
    serial_number_required = fields.Boolean()


class ServiceGroupsSchema(Schema):
    items = fields.List(fields.Nested(ServiceGroupSchema))


def shown_sync_status(status: SyncStatus | None) -> str | None:
    """The seed's table shows a sync in progress as empty, like one never made."""
    return status.value if status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED) else None


class LabelsSchema(Schema):
    languages = fields.List(fields.String(), metadata={"description": "zh-CN (default) and en"})
    labels = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String())),
        metadata={"description": "{kind: {code: {zh-CN, en}}}: authorization_status, sync_status, sync_action, sync_error, "
                                 "service_group, license_type, result_code"},
    )
