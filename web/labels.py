"""The API's enumerations in the manuals' words (seed 001), for pages and forms."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ERPS = {"cosmic": _l("Cosmic (星瀚)"), "galaxy": _l("Galaxy (星空)"), "eas": _l("EAS"), "other": _l("Other")}
DEPLOYMENTS = {"public_cloud": _l("Public cloud"), "private_cloud": _l("Private cloud"), "on_premises": _l("On premises")}
ORDER_STATUSES = {"delivered": _l("Awaiting activation"), "activated": _l("Activated")}
SERVICE_GROUPS = {"invoice_issuing": _l("Invoice issuing"), "invoice_receiving": _l("Invoice receiving")}
PRODUCT_KINDS = {"seat": _l("Per enterprise"), "traffic": _l("Traffic")}
CHANGE_KINDS = {"tax_id_replacement": _l("Tax-ID replacement"), "enterprise_move": _l("Move an enterprise to this tenant"),
                "tenant_merge": _l("Merge tenants")}
PAYMENT_METHODS = {"wechat": _l("WeChat Pay"), "alipay": _l("Alipay"), "paypal": _l("PayPal")}
CHANGE_STATUSES = {"pending": _l("Pending review"), "approved": _l("Approved"), "rejected": _l("Rejected")}

AUTHORIZATION_STATUSES = {"unauthorized": _l("Not authorized"), "authorized": _l("Authorized"), "failed": _l("Authorization failed")}
SYNC_STATUSES = {"succeeded": _l("Sync succeeded"), "failed": _l("Sync failed")}
SYNC_ERRORS = {
    "no_remaining_entitlement": _l("No rights left to allocate on the rights platform: buy more, or cancel another enterprise."),
    "serial_number_required": _l("This license needs the product serial number: maintain it (维护产品序列号), then sync again."),
    "unknown_serial_number": _l("The rights platform does not know this serial number: check it against the product confirmation mail."),
    "enterprise_of_other_tenant": _l("This tax ID belongs to another tenant on the rights platform."),
}
LICENSE_RESULTS = {
    "authorized": _l("Authorized; the authorization is being synced."),
    "cancelled": _l("Authorization cancelled; it cannot be authorized again for 60 days."),
    "sync_requested": _l("Sync sent again."),
    "enterprise_not_imported": _l("This enterprise is not imported into the ERP."),
    "already_authorized": _l("Already authorized: an enterprise is authorized once."),
    "reauthorization_locked": _l("Cancelled less than 60 days ago: it cannot be authorized again yet."),
    "not_authorized": _l("Not authorized, so there is nothing to cancel or sync."),
    "still_authorized": _l("Still authorized: sync the authorization instead of a cancellation."),
    "not_cancelled": _l("Never cancelled: there is no cancellation to sync."),
}
EXPIRY_WINDOWS = {"30": _l("Within 30 days"), "60": _l("Within 60 days"), "90": _l("Within 90 days"), "expired": _l("Expired")}
CHANGE_DETAILS = {"old_tax_id": _l("Old tax ID"), "new_tax_id": _l("New tax ID"), "new_name": _l("New enterprise name"),
                  "tax_id": _l("Tax ID"), "target_tenant_id": _l("Tenant to merge into (its ID)")}
ADMIN_STATUSES = {"active": _l("Enabled"), "disabled": _l("Disabled"), "invited": _l("Invited, not activated yet")}


def label(table: dict[str, Any], value: str | None) -> str:
    """The words for `value`, or the value itself when the API grew one this page does not know yet."""
    if value is None:
        return "—"
    return str(table.get(value, value))


TEMPLATE_LABELS = {
    "erp_label": lambda v: label(ERPS, v),
    "deployment_label": lambda v: label(DEPLOYMENTS, v),
    "order_status_label": lambda v: label(ORDER_STATUSES, v),
    "service_group_label": lambda v: label(SERVICE_GROUPS, v),
    "product_kind_label": lambda v: label(PRODUCT_KINDS, v),
    "change_kind_label": lambda v: label(CHANGE_KINDS, v),
    "change_status_label": lambda v: label(CHANGE_STATUSES, v),
    "authorization_status_label": lambda v: label(AUTHORIZATION_STATUSES, v),
    "sync_status_label": lambda v: label(SYNC_STATUSES, v),
    "sync_error_label": lambda v: label(SYNC_ERRORS, v),
    "expiry_window_label": lambda v: label(EXPIRY_WINDOWS, v),
    "admin_status_label": lambda v: label(ADMIN_STATUSES, v),
    "payment_method_label": lambda v: label(PAYMENT_METHODS, v),
}
