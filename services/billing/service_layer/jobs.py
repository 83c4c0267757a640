"""Scheduled work of the billing worker: auto-renewal at each company's billing cycle, and reminders
before devices expire. Each run decides itself what is due, so running it often is harmless."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from services.billing.adapters.orm import account_configs, devices, expiry_reminders, packages
from services.billing.domain import devices as device_rules
from services.billing.domain.billing_cycle import CYCLE_MONTHS, next_cycle_start
from services.billing.domain.errors import RuleViolation
from services.billing.service_layer.companies import Caller
from services.billing.service_layer.orders import PENDING_PAYMENT, create_renewal_order, recipient_of, transition
from services.billing.service_layer.payments import pay_from_balance
from shared.uow import UnitOfWork

AUTO_RENEW_ACTOR = "auto-renew"


def run_auto_renewals(uow: UnitOfWork) -> None:
    """For each company whose cycle start has come: renew its devices that expire before the next start."""
    today = uow.clock.today()
    due = uow.session.execute(
        select(account_configs).where(account_configs.c.auto_renew.is_(True), account_configs.c.next_renewal_on <= today)
    ).all()
    for config in due:
        with uow.session.begin_nested():
            auto_renew_company(uow, config.company_id, config.billing_cycle, today)
        uow.session.execute(
            account_configs.update()
            .where(account_configs.c.company_id == config.company_id)
            .values(next_renewal_on=next_cycle_start(config.billing_cycle, today))
        )


def auto_renew_company(uow: UnitOfWork, company_id: str, cycle: str, today: date) -> None:
    """One company's run: an auto order paid from the balance, or a failed order saying why; both are mailed."""
    window_end = next_cycle_start(cycle, today)
    device_ids = (
        uow.session.execute(
            select(devices.c.device_id)
            .join(packages, packages.c.code == devices.c.package_code)
            .where(
                devices.c.company_id == company_id,
                devices.c.status == device_rules.ACTIVE,
                devices.c.expires_on < window_end,
                packages.c.pricing != "one_off",
            )
            .order_by(devices.c.device_id)
        )
        .scalars()
        .all()
    )
    if not device_ids:
        return
    caller = Caller(AUTO_RENEW_ACTOR, company_id, staff=False)
    months = CYCLE_MONTHS[cycle]
    try:
        order = create_renewal_order(uow, caller, [{"device_id": d, "months": months} for d in device_ids], auto=True)
    except RuleViolation as violation:
        _report_failure(uow, company_id, None, None, violation.code, 0, None)
        return
    transition(uow.session, order["id"], "draft", PENDING_PAYMENT, confirmed_at=uow.clock.now())
    try:
        with uow.session.begin_nested():
            pay_from_balance(uow, order["id"])
    except RuleViolation as violation:
        transition(uow.session, order["id"], PENDING_PAYMENT, "failed", error=violation.code)
        _report_failure(uow, company_id, order["id"], order["order_no"], violation.code, order["amount_minor"], order["currency"])


def _report_failure(uow: UnitOfWork, company_id: str, order_id: str | None, order_no: str | None, error: str, amount: int,
                    currency: str | None) -> None:
    recipient, emails = recipient_of(uow.session, company_id)
    subject = order_id or f"auto-renew:{company_id}:{uow.clock.today().isoformat()}"
    uow.emit(
        "billing.renewal.completed.v1",
        subject,
        {
            "order_id": order_id,
            "order_no": order_no,
            "company_id": company_id,
            "ok": False,
            "error": error,
            "auto": True,
            "devices": [],
            "amount_minor": amount,
            "currency": currency,
            "recipient": recipient,
            "emails": emails,
        },
    )
    uow.audit("auto_renew.failed", "company", company_id, {"order_id": order_id, "error": error})


def send_expiry_reminders(uow: UnitOfWork) -> None:
    """One billing.device.expiring.v1 per company per run, naming devices that reached a new reminder
    stage (30, 7, 1 days before expiry); each stage of each expiry date is reminded once."""
    today = uow.clock.today()
    horizon = today + timedelta(days=max(device_rules.REMINDER_STAGES))
    rows = uow.session.execute(
        select(devices.c.device_id, devices.c.company_id, devices.c.expires_on).where(
            devices.c.status == device_rules.ACTIVE, devices.c.expires_on >= today, devices.c.expires_on <= horizon
        )
    ).all()
    sent = {
        (r.device_id, r.expires_on, r.stage)
        for r in uow.session.execute(select(expiry_reminders).where(expiry_reminders.c.expires_on >= today))
    }
    by_company: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        stage = device_rules.reminder_stage(row.expires_on, today)
        if stage is None or (row.device_id, row.expires_on, stage) in sent:
            continue
        uow.session.execute(
            expiry_reminders.insert().values(device_id=row.device_id, expires_on=row.expires_on, stage=stage, sent_at=uow.clock.now())
        )
        by_company[row.company_id].append({"device_id": row.device_id, "expires_on": row.expires_on.isoformat()})
    for company_id, expiring in by_company.items():
        recipient, emails = recipient_of(uow.session, company_id)
        uow.emit(
            "billing.device.expiring.v1",
            company_id,
            {"company_id": company_id, "devices": expiring, "recipient": recipient, "emails": emails},
        )
