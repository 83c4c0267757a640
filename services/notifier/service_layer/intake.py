"""Turning an event into messages: who gets one, in which language, with what text.

Runs inside the consumer's transaction: each message is stored queued, its masked text in the log and
its real text sealed (encrypted) beside it. Nothing is sent here; the delivery job sends after the
commit, so a failed send never rolls back or redelivers the event.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from services.notifier.adapters import message_store
from services.notifier.adapters.secret_box import SecretBox
from services.notifier.adapters.templates import RenderedText, TemplateRenderer
from services.notifier.domain.catalogue import Notification, notification_for
from services.notifier.domain.delivery import Status
from services.notifier.domain.language import choose_language
from services.notifier.domain.masking import masked
from services.notifier.domain.recipients import addresses_for, named_recipient
from shared.envelope import Event
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def organisation_of(notification: Notification, event: Event) -> str | None:
    value = event.data.get(notification.org_field) if notification.org_field else None
    return str(value) if value else event.tenantid


def take_event(uow: UnitOfWork, event: Event, renderer: TemplateRenderer, box: SecretBox) -> list[str]:
    """Store the messages `event` calls for (at most one per channel and address); return their ids."""
    notification = notification_for(event.type)
    if notification is None:
        log.warning("event type calls for no message", extra={"fields": {"event_id": event.id, "type": event.type}})
        return []
    org_id = organisation_of(notification, event)
    preference = message_store.organisation_preference(uow.session, org_id) if org_id else None
    recipient = named_recipient(event.data)
    language = choose_language(recipient.get("language"), preference.language if preference else None)
    addresses = addresses_for(notification, event.data, preference.emails if preference else [])
    envelope = {"id": event.id, "type": event.type, "time": event.time, "subject": event.subject}
    shown = renderer.render(notification.template, language, masked(event.data), envelope)
    if not addresses:
        return _keep_undeliverable(uow, event, notification, org_id, language, shown)
    real = renderer.render(notification.template, language, event.data, envelope)
    stored = []
    for address in addresses:
        if message_store.message_exists(uow.session, event.id, notification.channel, address):
            continue
        to_name = recipient.get("name") if address.lower() == str(recipient.get("email", "")).lower() else None
        stored.append(_store_message(uow, box, event, notification, org_id, address, to_name, language, real, shown))
    return stored


NO_RECIPIENT = "no usable recipient: the event names no address and the organisation has none on file"


def _keep_undeliverable(uow: UnitOfWork, event: Event, notification: Notification, org_id: str | None, language: str,
                        shown: RenderedText) -> list[str]:
    """An event that names nobody to tell is kept as a failed message (masked text, empty recipient, the reason in
    `last_error`), so staff see it in the message log (`?status=failed`) instead of only a log line."""
    log.warning("event names no usable recipient", extra={"fields": {"event_id": event.id, "type": event.type}})
    if message_store.message_exists(uow.session, event.id, notification.channel, ""):
        return []
    message_id, now = str(uuid.uuid4()), uow.clock.now()
    message_store.add_message(
        uow.session, id=message_id, event_id=event.id, event_type=event.type, channel=notification.channel, recipient="",
        org_id=org_id, tenant_id=event.tenantid, template=notification.template, language=language, subject=shown.subject,
        body=shown.body, has_secrets=False, status=Status.FAILED, attempts=0, last_error=NO_RECIPIENT, next_attempt_at=None,
        created_at=now, updated_at=now,
    )
    return []


def _store_message(
    uow: UnitOfWork,
    box: SecretBox,
    event: Event,
    notification: Notification,
    org_id: str | None,
    address: str,
    to_name: Any,
    language: str,
    real: RenderedText,
    shown: RenderedText,
) -> str:
    message_id = str(uuid.uuid4())
    now = uow.clock.now()
    message_store.add_message(
        uow.session,
        id=message_id,
        event_id=event.id,
        event_type=event.type,
        channel=notification.channel,
        recipient=address,
        org_id=org_id,
        tenant_id=event.tenantid,
        template=notification.template,
        language=language,
        subject=shown.subject,
        body=shown.body,
        has_secrets=real != shown,
        status=Status.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    content = {"subject": real.subject, "body": real.body, "to_name": to_name if isinstance(to_name, str) else None}
    nonce, ciphertext = box.seal(json.dumps(content, ensure_ascii=False), bound_to=message_id)
    message_store.seal_content(uow.session, message_id, nonce, ciphertext)
    log.info(
        "message queued",
        extra={"fields": {"message_id": message_id, "event_id": event.id, "type": event.type, "channel": str(notification.channel)}},
    )
    return message_id
