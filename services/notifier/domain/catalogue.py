"""Which events call for a message, on which channel, and how each one finds its organisation.

The catalogue follows docs/events.md: every event type whose consumers include the notifier has one
entry here and one template per language in `services/notifier/templates/`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    MAIL = "mail"
    SMS = "sms"


@dataclass(frozen=True)
class Notification:
    """What the notifier does with one event type.

    `org_field` names the data field holding the organisation whose language preference and extra
    addresses apply (else the envelope's `tenantid`). `carries_secret` events go only to the person
    named in the event, never to an organisation's extra notification addresses. An `essential` SMS
    (a security code) is sent even when its tenant's SMS traffic cannot be drawn (domain/traffic.py).
    """

    event_type: str
    channel: Channel = Channel.MAIL
    org_field: str | None = None
    carries_secret: bool = False
    essential: bool = False

    @property
    def template(self) -> str:
        return self.event_type


CATALOGUE: dict[str, Notification] = {
    n.event_type: n
    for n in (
        Notification("identity.tenant.created.v1", org_field="tenant_id", carries_secret=True),
        Notification("identity.user.invited.v1", org_field="org_id", carries_secret=True),
        Notification("identity.user.already_registered.v1"),
        Notification("identity.sms_code.requested.v1", channel=Channel.SMS, carries_secret=True, essential=True),
        Notification("identity.api_client.issued.v1", org_field="tenant_id"),
        Notification("entitlements.order.delivered.v1", org_field="tenant_id", carries_secret=True),
        Notification("entitlements.line.expiring.v1", org_field="tenant_id"),
        Notification("entitlements.line.expired.v1", org_field="tenant_id"),
        Notification("billing.order.paid.v1", org_field="company_id"),
        Notification("billing.topup.approved.v1", org_field="company_id"),
        Notification("billing.renewal.completed.v1", org_field="company_id"),
        Notification("billing.device.expiring.v1", org_field="company_id"),
        Notification("marketplace.reseller.rejected.v1"),
        Notification("marketplace.order.paid.v1", org_field="reseller_id"),
        Notification("marketplace.credit.code_requested.v1", org_field="reseller_id", carries_secret=True),
        Notification("marketplace.ticket.created.v1"),
        Notification("marketplace.trial.requested.v1"),
        Notification("marketplace.credit.used_offline.v1", org_field="reseller_id"),
        Notification("marketplace.payment.refunded.v1", org_field="reseller_id"),
    )
}


def notification_for(event_type: str) -> Notification | None:
    return CATALOGUE.get(event_type)


def is_essential(event_type: str) -> bool:
    notification = CATALOGUE.get(event_type)
    return notification is not None and notification.essential
