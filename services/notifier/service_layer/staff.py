"""What staff and organisation admins change: resending a message, an organisation's preferences."""
from __future__ import annotations

from dataclasses import dataclass

from services.notifier.adapters import message_store
from services.notifier.domain.language import supported_language
from shared.errors import Problem, not_found
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Resend:
    message_id: str
    content: str  # "original": the real text is still kept; "masked": it was deleted when first sent


def resend_message(uow: UnitOfWork, message_id: str) -> Resend:
    """Queue the message again with fresh attempts; the delivery job sends it within seconds."""
    message = message_store.get_message(uow.session, message_id)
    if message is None:
        raise not_found("message")
    if not message.recipient:
        raise Problem(409, "no_recipient", "this message names no recipient (see last_error); set the organisation's "
                      "addresses in its preferences, then have the event's producer send it again")
    content = "original" if not message.has_secrets or message_store.content_kept(uow.session, message_id) else "masked"
    message_store.requeue(uow.session, message_id, uow.clock.now())
    uow.audit(
        "message.resent",
        "message",
        message_id,
        {"event_id": message.event_id, "recipient": message.recipient, "previous_status": message.status, "content": content},
    )
    return Resend(message_id, content)


def set_organisation_preference(uow: UnitOfWork, org_id: str, language: str | None, emails: list[str]) -> None:
    distinct: dict[str, str] = {}
    for email in emails:
        distinct.setdefault(email.strip().lower(), email.strip())
    normalised = supported_language(language) if language else None
    message_store.save_organisation_preference(uow.session, org_id, normalised, distinct.values(), uow.clock.now())
    uow.audit("preference.updated", "organisation", org_id, {"language": normalised, "emails": list(distinct.values())})
