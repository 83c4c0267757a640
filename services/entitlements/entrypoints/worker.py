"""The entitlements worker: outbox relay, event consumers and scheduled jobs (`python -m services.entitlements.entrypoints.worker`)."""
from __future__ import annotations

from services.entitlements.bootstrap import build_context
from services.entitlements.config import Settings
from services.entitlements.service_layer import enterprises, expiry, licenses, orders, tenants
from services.entitlements.service_layer.policy import Policy
from shared.envelope import Event
from shared.uow import UnitOfWork
from shared.worker import BatchEventHandler, EventHandler, Job, run_worker


def event_handlers(policy: Policy) -> dict[str, EventHandler]:
    """What each consumed event type does (queues: shared/topology.py, entitlements.*)."""

    def marketplace_order_paid(uow: UnitOfWork, event: Event) -> None:
        orders.on_marketplace_order_paid(uow, policy, event.data)

    return {
        "identity.tenant.created.v1": tenants.on_tenant_created,
        "identity.organisation.created.v1": tenants.on_organisation_changed,
        "identity.organisation.updated.v1": tenants.on_organisation_changed,
        "identity.api_client.issued.v1": lambda uow, event: enterprises.on_api_client_issued(uow, event.data),
        "licensing.license.authorized.v1": lambda uow, event: licenses.on_license_authorized(uow, event.data),
        "licensing.license.cancelled.v1": lambda uow, event: licenses.on_license_cancelled(uow, event.data),
        "marketplace.order.paid.v1": marketplace_order_paid,
    }


def batch_handlers() -> dict[str, BatchEventHandler]:
    """Runs of consecutive events handled at once in a consumer's batch (the others one by one)."""
    return {
        "licensing.license.authorized.v1": lambda uow, events: licenses.on_licenses_authorized(uow, [e.data for e in events]),
    }


def jobs() -> list[Job]:
    return [Job("expiry_reminders", expiry.JOB_INTERVAL_SECONDS, expiry.send_expiry_reminders)]


def main() -> None:
    settings = Settings.from_env()
    context = build_context(settings)
    run_worker(settings.common, context, handlers=event_handlers(context.extras["policy"]), jobs=jobs(),
               batch_handlers=batch_handlers())


if __name__ == "__main__":
    main()
