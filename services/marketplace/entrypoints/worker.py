"""The marketplace worker: outbox relay, event consumers and scheduled jobs (`python -m services.marketplace.entrypoints.worker`)."""
from __future__ import annotations

from services.marketplace.bootstrap import build_context
from services.marketplace.config import Settings
from services.marketplace.service_layer import credit, orders, organisations, rebate, settlements
from shared.worker import Job, run_worker

HANDLERS = {
    "identity.organisation.created.v1": organisations.record_organisation,
    "identity.organisation.updated.v1": organisations.record_organisation,
    "identity.user.invited.v1": organisations.record_invited_user,
    "identity.user.updated.v1": organisations.record_user,
    orders.ENTITLEMENT_ORDER_DELIVERED: orders.on_entitlement_order,
    orders.ENTITLEMENT_ORDER_ACTIVATED: orders.on_entitlement_order,
}

# Each job decides what is due and is idempotent (one statement, bill, reward per period), so running
# it hourly catches up after downtime and never doubles anything.
JOBS = [
    Job("monthly_statements", 3600, settlements.generate_last_month),
    Job("credit_bills", 3600, credit.issue_bills),
    Job("half_year_rebate", 3600, rebate.reward_half_year),
]


def main() -> None:
    settings = Settings.from_env()
    run_worker(settings.common, build_context(settings), handlers=HANDLERS, jobs=JOBS)


if __name__ == "__main__":
    main()
