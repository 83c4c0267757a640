"""What people read for entitlements' codes (seeds 000 and 001's words in zh-CN), served whole by
`GET /entitlements/v1/labels` (`shared/labels.py`)."""
from __future__ import annotations


def _both(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


LABELS: dict[str, dict[str, dict[str, str]]] = {
    "order_status": {
        "delivered": _both("待激活", "Awaiting activation"),
        "activated": _both("已激活", "Activated"),
    },
    "order_source": {
        "sales": _both("销售交付", "Sales delivery"),
        "marketplace": _both("云市场", "Marketplace"),
        "transfer": _both("权益转移", "Transfer"),
    },
    "erp": {
        "cosmic": _both("星瀚", "Cosmic (星瀚)"),
        "galaxy": _both("星空", "Galaxy (星空)"),
        "eas": _both("EAS", "EAS"),
        "other": _both("其他", "Other"),
    },
    "deployment": {
        "public_cloud": _both("公有云", "Public cloud"),
        "private_cloud": _both("私有云", "Private cloud"),
        "on_premises": _both("本地部署", "On premises"),
    },
    "product_kind": {
        "seat": _both("席位（按企业分配）", "Seats (allocated per enterprise)"),
        "traffic": _both("流量", "Traffic"),
    },
    "service_group": {
        "invoice_issuing": _both("开票管理", "Invoice issuing"),
        "invoice_receiving": _both("收票管理", "Invoice receiving"),
    },
    "traffic_category": {
        "invoice_verification": _both("发票查验", "Invoice verification"),
        "ocr": _both("发票识别（OCR）", "Invoice recognition (OCR)"),
        "sms": _both("短信", "SMS"),
        "storage": _both("存储", "Storage"),
        "other": _both("其他", "Other"),
    },
    "change_request_kind": {
        "tax_id_replacement": _both("权益税号变更", "Tax ID replacement"),
        "enterprise_move": _both("企业变更租户", "Move an enterprise to another tenant"),
        "tenant_merge": _both("合并租户", "Merge tenants"),
    },
    "change_request_status": {
        "pending": _both("待审核", "Pending review"),
        "approved": _both("已通过", "Approved"),
        "rejected": _both("已驳回", "Rejected"),
    },
    "expiry_window": {
        "30": _both("30天内到期", "Expiring within 30 days"),
        "60": _both("60天内到期", "Expiring within 60 days"),
        "90": _both("90天内到期", "Expiring within 90 days"),
        "expired": _both("已到期", "Expired"),
    },
    # Why licensing's seat request was refused (its `sync_error`).
    "seat_refusal": {
        "no_remaining_entitlement": _both("权益数量不足，没有可分配的剩余权益", "No rights left to allocate"),
        "serial_number_required": _both("当前许可类型或环境需维护产品序列号，请先维护序列号",
                                        "This license type or environment needs the product serial number: enter it first"),
        "unknown_serial_number": _both("产品序列号不存在或不属于本租户的订单", "The serial number is not on any of the tenant's orders"),
        "enterprise_of_other_tenant": _both("该税号已属于其他租户", "This tax ID belongs to another tenant"),
    },
}
