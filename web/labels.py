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
    "payment_method_label": lambda v: label(PAYMENT_METHODS, v),
}
