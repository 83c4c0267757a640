"""Expiry reminders (ENT-9): the hourly job raises each due reminder once per (line, threshold)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from services.entitlements.adapters.orm import expiry_notices, order_lines, orders, products
from services.entitlements.domain.expiry import EXPIRED, EXPIRED_NOTICE_WINDOW_DAYS, REMINDER_DAYS, days_left, due_reminder
from services.entitlements.service_layer.dashboard import enterprises_on_lines
from services.entitlements.service_layer.tenants import tenant_recipient
from shared.uow import UnitOfWork

LINE_EXPIRING = "entitlements.line.expiring.v1"
LINE_EXPIRED = "entitlements.line.expired.v1"
JOB_INTERVAL_SECONDS = 3600


def send_expiry_reminders(uow: UnitOfWork) -> int:
    """Returns how many reminders were raised this run."""
    today = uow.clock.today()
    lines = uow.session.execute(
        select(order_lines, orders.c.order_no, products.c.name.label("product_name"))
        .join(orders, orders.c.id == order_lines.c.order_id)
        .join(products, products.c.code == order_lines.c.product_code)
        .where(order_lines.c.valid_to <= today + timedelta(days=max(REMINDER_DAYS)),
               order_lines.c.valid_to >= today - timedelta(days=EXPIRED_NOTICE_WINDOW_DAYS),
               order_lines.c.quantity > 0)
        .order_by(order_lines.c.valid_to, order_lines.c.id)
    ).all()
    raised = 0
    affected = enterprises_on_lines(uow.session, [line.id for line in lines if due_reminder(line.valid_to, today) is not None])
    for line in lines:
        threshold = due_reminder(line.valid_to, today)
        if threshold is None or not _claim(uow, line.id, threshold):
            continue
        uow.emit(
            LINE_EXPIRED if threshold == EXPIRED else LINE_EXPIRING,
            line.id,
            {
                "tenant_id": line.tenant_id, "order_id": line.order_id, "order_no": line.order_no, "line_id": line.id,
                "product_code": line.product_code, "product_name": line.product_name, "serial_number": line.serial_number,
                "valid_to": line.valid_to.isoformat(), "days_left": days_left(line.valid_to, today),
                "recipient": tenant_recipient(uow.session, line.tenant_id),
                **affected.get(line.id, {"enterprise_count": 0, "enterprises": []}),
            },
            tenant_id=line.tenant_id,
        )
        raised += 1
    return raised


def _claim(uow: UnitOfWork, line_id: str, threshold: str) -> bool:
    """Records the reminder; False when it was raised before (also by a concurrent worker)."""
    # RETURNING, not rowcount: SQLAlchemy reports -1 as the rowcount of a Core INSERT on psycopg
    claimed = uow.session.execute(
        postgres_insert(expiry_notices).values(order_line_id=line_id, threshold=threshold, sent_at=uow.clock.now())
        .on_conflict_do_nothing().returning(expiry_notices.c.order_line_id)
    )
    return claimed.first() is not None
