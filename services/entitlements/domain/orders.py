"""Orders and their lines (ENT-2, ENT-3): numbers, operation keys, ERP and deployment choices."""
from __future__ import annotations

import hashlib
import secrets
from datetime import date

ERPS = ("cosmic", "galaxy", "eas", "other")  # 星瀚, 星空, EAS, 其他
DEPLOYMENTS = ("public_cloud", "private_cloud", "on_premises")
SOURCES = ("sales", "marketplace", "transfer")
PRODUCT_KINDS = ("seat", "traffic")
SERVICE_GROUPS = ("invoice_issuing", "invoice_receiving")
TRAFFIC_CATEGORIES = ("invoice_verification", "ocr", "sms", "storage", "other")


class LineRuleBroken(ValueError):
    """An order line contradicts its product or itself; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_line_dates(valid_from: date, valid_to: date) -> None:
    if valid_to < valid_from:
        raise LineRuleBroken("valid_to", "valid_to must not be before valid_from")


def new_order_no(today: date) -> str:
    return f"EO{today:%Y%m%d}{secrets.token_hex(4).upper()}"


def new_serial_number(today: date) -> str:
    return f"SN{today:%Y}{secrets.token_hex(6).upper()}"


def new_operation_key() -> str:
    """A random single-use key, mailed once; only its hash is kept."""
    return secrets.token_urlsafe(24)


def hash_operation_key(key: str) -> str:
    """Keys carry 192 random bits, so a plain SHA-256 is enough to make the stored value useless."""
    return hashlib.sha256(key.encode()).hexdigest()


def is_valid_on(valid_from: date, valid_to: date, day: date) -> bool:
    return valid_from <= day <= valid_to
