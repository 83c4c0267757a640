"""What people read for licensing's codes (seed 004's own words in zh-CN), served by `GET /licensing/v1/labels`
and beside each code in the answers (`*_label`, by Accept-Language; `shared/labels.py`)."""
from __future__ import annotations


def _both(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


LABELS: dict[str, dict[str, dict[str, str]]] = {
    "authorization_status": {
        "unauthorized": _both("未授权", "Not authorized"),
        "authorized": _both("已授权", "Authorized"),
        "failed": _both("授权失败", "Authorization failed"),
    },
    "sync_status": {
        "pending": _both("同步中", "Syncing"),
        "succeeded": _both("同步成功", "Synced"),
        "failed": _both("同步失败", "Sync failed"),
    },
    "sync_action": {
        "authorize": _both("同步许可授权", "Sync authorization"),
        "cancel": _both("同步取消授权", "Sync cancellation"),
    },
    # Why a sync failed (`sync_error`): the seat answer's reason from entitlements, or licensing's own.
    "sync_error": {
        "no_remaining_entitlement": _both("权益数量不足，没有可分配的剩余权益", "No rights left to allocate"),
        "serial_number_required": _both("当前许可类型或环境需维护产品序列号，请先维护序列号",
                                        "This license type or environment needs the product serial number: enter it first"),
        "unknown_serial_number": _both("产品序列号不存在或不属于本租户的订单", "The serial number is not on any of the tenant's orders"),
        "enterprise_of_other_tenant": _both("该税号已属于其他租户", "This tax ID belongs to another tenant"),
    },
    "service_group": {
        "invoice_issuing": _both("开票管理", "Invoice issuing"),
        "invoice_receiving": _both("收票管理", "Invoice receiving"),
    },
    "license_type": {
        "formal": _both("正式许可", "Formal license"),
        "temporary": _both("临时许可", "Temporary license"),
        "none": _both("无许可文件", "No license file"),
    },
    # The outcome of each tax ID in a batch (authorize, cancel, sync).
    "result_code": {
        "authorized": _both("已授权", "Authorized"),
        "cancelled": _both("已取消授权", "Authorization cancelled"),
        "sync_requested": _both("已发起同步", "Sync requested"),
        "enterprise_not_imported": _both("该税号未导入企业信息", "This tax ID has not been imported"),
        "already_authorized": _both("该税号已授权", "This tax ID is already authorized"),
        "reauthorization_locked": _both("取消授权未满60天，暂不可重新授权", "Cancelled less than 60 days ago: it cannot be authorized yet"),
        "not_authorized": _both("非已授权状态的税号，不可进行此操作", "Only an authorized tax ID can do this"),
        "still_authorized": _both("已授权状态的税号，不可进行同步取消授权", "An authorized tax ID cannot sync a cancellation"),
        "not_cancelled": _both("该税号未取消授权", "This tax ID has not been cancelled"),
    },
}
