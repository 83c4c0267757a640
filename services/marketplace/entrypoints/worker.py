"""The marketplace worker: outbox relay, event consumers and scheduled jobs (`python -m services.marketplace.entrypoints.worker`)."""
from __future__ import annotations

from services.marketplace.bootstrap import build_context
from services.marketplace.config import Settings
from services.marketplace.service_layer import credit, orders, organisations, rebate, sandbox, settlements
from shared.uow import UnitOfWork
from shared.web import ServiceContext
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


class SandboxCallbacks:
    """Delivers the sandbox provider's queued callbacks (services/marketplace/service_layer/sandbox.py)."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def __call__(self, _job_uow: UnitOfWork) -> list[int | None]:
        context = self.context
        return sandbox.deliver_sandbox_notices(
            lambda session: UnitOfWork(context.service, session, context.tables, context.clock), context.session_factory,
            context.clock.now, context.extras["sandbox_provider"].notify)


def main() -> None:
    settings = Settings.from_env()
    context = build_context(settings)
    run_worker(settings.common, context, handlers=HANDLERS, jobs=[Job("sandbox_callbacks", 1, SandboxCallbacks(context)), *JOBS])


if __name__ == "__main__":
    main()
