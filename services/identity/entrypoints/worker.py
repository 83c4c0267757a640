"""The identity worker: outbox relay, event consumers and scheduled jobs (`python -m services.identity.entrypoints.worker`)."""
from __future__ import annotations

from services.identity.bootstrap import build_context
from services.identity.config import Settings
from services.identity.service_layer.api_clients import RIGHTS_MOVED, follow_moved_rights, issue_for_first_allocations
from services.identity.service_layer.housekeeping import purge_spent_credentials
from services.identity.service_layer.kit import IdentityKit
from services.identity.service_layer.organisations import DEALER_STATUS, follow_dealer_status
from services.identity.service_layer.resellers import create_approved_reseller
from shared.envelope import Event
from shared.uow import UnitOfWork
from shared.worker import EventHandler, Job, run_worker


def handlers(kit: IdentityKit) -> dict[str, EventHandler]:
    def seats_allocated(uow: UnitOfWork, event: Event) -> None:
        issue_for_first_allocations(uow, kit, event)

    def reseller_approved(uow: UnitOfWork, event: Event) -> None:
        create_approved_reseller(uow, kit, event)

    def rights_moved(uow: UnitOfWork, event: Event) -> None:
        follow_moved_rights(uow, kit, event)

    return {"entitlements.seats.allocated.v1": seats_allocated, "marketplace.reseller.approved.v1": reseller_approved,
            RIGHTS_MOVED: rights_moved, **dict.fromkeys(DEALER_STATUS, follow_dealer_status)}


def main() -> None:
    settings = Settings.from_env()
    context = build_context(settings)
    jobs = [Job("purge_spent_credentials", 3600, purge_spent_credentials)]
    run_worker(settings.common, context, handlers=handlers(context.extras["kit"]), jobs=jobs)


if __name__ == "__main__":
    main()
