"""The whole messaging topology of the suite, in one place.

One durable topic exchange `suite.events` (routing key = event type); each consumer owns durable
quorum queues `<consumer>.<purpose>` with an explicit delivery limit, dead-lettered through the direct
exchange `suite.dlx` into `<queue>.dlq`. Every process declares all of it before publishing or
consuming, so no event is published before the queue that needs it exists, and the embedded broker
(whose bindings some transports keep per process) routes the same way RabbitMQ does.

Each service edits only its own entries below.
"""
from __future__ import annotations

from dataclasses import dataclass

EVENTS_EXCHANGE = "suite.events"
DEAD_LETTER_EXCHANGE = "suite.dlx"
DELIVERY_LIMIT = 5


@dataclass(frozen=True)
class Subscription:
    consumer: str
    purpose: str
    event_types: tuple[str, ...]

    @property
    def queue(self) -> str:
        return f"{self.consumer}.{self.purpose}"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        "notifier",
        "messages",
        (
            "identity.tenant.created.v1",
            "identity.user.invited.v1",
            "identity.user.already_registered.v1",
            "identity.sms_code.requested.v1",
            "identity.api_client.issued.v1",
            "entitlements.order.delivered.v1",
            "entitlements.line.expiring.v1",
            "entitlements.line.expired.v1",
            "billing.order.paid.v1",
            "billing.topup.approved.v1",
            "billing.renewal.completed.v1",
            "billing.device.expiring.v1",
            "marketplace.reseller.rejected.v1",
            "marketplace.order.paid.v1",
            "marketplace.credit.code_requested.v1",
            "marketplace.ticket.created.v1",
            "marketplace.trial.requested.v1",
            "marketplace.credit.used_offline.v1",
            "marketplace.payment.refunded.v1",
        ),
    ),
    Subscription(
        "entitlements",
        "read_models",
        ("identity.tenant.created.v1", "identity.organisation.created.v1", "identity.organisation.updated.v1"),
    ),
    Subscription("entitlements", "credentials", ("identity.api_client.issued.v1",)),
    Subscription(
        "entitlements",
        "licenses",
        ("licensing.license.authorized.v1", "licensing.license.cancelled.v1"),
    ),
    Subscription("entitlements", "marketplace_orders", ("marketplace.order.paid.v1",)),
    Subscription("identity", "seats", ("entitlements.seats.allocated.v1",)),
    Subscription("identity", "resellers", ("marketplace.reseller.approved.v1",)),
    Subscription("identity", "api_clients", ("entitlements.rights.moved.v1",)),
    Subscription("identity", "dealers", ("marketplace.dealer.disabled.v1", "marketplace.dealer.enabled.v1")),
    Subscription(
        "licensing",
        "seats",
        (
            "entitlements.seat.granted.v1",
            "entitlements.seat.refused.v1",
            "entitlements.seat.released.v1",
            "entitlements.order.delivered.v1",
            "entitlements.rights.moved.v1",
        ),
    ),
    Subscription(
        "billing",
        "organisations",
        ("identity.organisation.created.v1", "identity.organisation.updated.v1"),
    ),
    Subscription(
        "marketplace",
        "organisations",
        ("identity.organisation.created.v1", "identity.organisation.updated.v1"),
    ),
    Subscription("marketplace", "channel_users", ("identity.user.invited.v1", "identity.user.updated.v1")),
    Subscription(
        "marketplace",
        "entitlement_orders",
        ("entitlements.order.delivered.v1", "entitlements.order.activated.v1"),
    ),
)


def subscriptions_of(consumer: str) -> tuple[Subscription, ...]:
    return tuple(s for s in SUBSCRIPTIONS if s.consumer == consumer)


def consumed_event_types(consumer: str) -> set[str]:
    return {t for s in subscriptions_of(consumer) for t in s.event_types}
