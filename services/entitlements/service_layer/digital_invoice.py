"""数电 info (ENT-10): the tenant's activation code for fully digital e-invoices, with a validity and a QR code."""
from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import qrcode
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.entitlements.adapters.orm import digital_invoice_infos
from shared.errors import Problem
from shared.uow import UnitOfWork

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _new_activation_code() -> str:
    groups = ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(4)]
    return "SD-" + "-".join(groups)


def info_view(row: Mapping[str, Any], today: date) -> dict[str, Any]:
    return {
        "activation_code": row["activation_code"],
        "valid_from": row["valid_from"].isoformat(),
        "valid_to": row["valid_to"].isoformat(),
        "expired": row["valid_to"] < today,
        "issued_at": row["issued_at"],
        "qr_code_url": "/entitlements/v1/digital-invoice-info/qr.png",
    }


def current_info(session: Session, tenant_id: str) -> Any:
    return session.execute(
        select(digital_invoice_infos)
        .where(digital_invoice_infos.c.tenant_id == tenant_id)
        .order_by(digital_invoice_infos.c.generation.desc())
        .limit(1)
    ).first()


def issue_info(uow: UnitOfWork, tenant_id: str, validity_days: int) -> dict[str, Any]:
    """The first code, or a new one once the current has expired; while it is valid, 409."""
    today = uow.clock.today()
    current = current_info(uow.session, tenant_id)
    if current is not None and current.valid_to >= today:
        raise Problem(409, "digital_invoice_info_still_valid", f"the current code is valid until {current.valid_to.isoformat()}")
    values = {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "generation": (current.generation + 1) if current else 1,
        "activation_code": _new_activation_code(),
        "valid_from": today,
        "valid_to": today + timedelta(days=validity_days - 1),
        "issued_at": uow.clock.now(),
        "issued_by": uow.actor.id,
    }
    try:
        with uow.session.begin_nested():
            uow.session.execute(digital_invoice_infos.insert().values(**values))
    except IntegrityError:
        raise Problem(409, "digital_invoice_info_still_valid", "a new code was issued at the same time") from None
    uow.audit("digital_invoice_info.issued", "tenant", tenant_id, {"generation": values["generation"]})
    return info_view(values, today)


def qr_png(activation_code: str) -> bytes:
    image = qrcode.make(activation_code)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
