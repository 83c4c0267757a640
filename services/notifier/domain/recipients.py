"""Who receives the message of an event: the person the event names, plus (for notices without
secrets) the notification addresses the event lists in `emails` (billing's account configuration)
and those the organisation configured in the notifier."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from services.notifier.domain.catalogue import Channel, Notification

_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.\-]{1,189}\.[A-Za-z0-9\-]{2,63}$")
_PHONE = re.compile(r"^\+?[0-9]{5,20}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")

# Fallbacks when an event carries no `recipient` object (the catalogue names the contact fields).
_MAIL_FIELDS = ("email", "contact_email")
_PHONE_FIELDS = ("phone", "contact_phone")


def valid_email(value: object) -> str | None:
    if isinstance(value, str) and _EMAIL.match(value.strip()):
        return value.strip()
    return None


def valid_phone(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    phone = _PHONE_SEPARATORS.sub("", value)
    return phone if _PHONE.match(phone) else None


def named_recipient(data: dict[str, Any]) -> dict[str, Any]:
    recipient = data.get("recipient")
    return recipient if isinstance(recipient, dict) else {}


def _first(values: Iterable[object], check: Any) -> str | None:
    for value in values:
        found = check(value)
        if found:
            return found
    return None


def addresses_for(notification: Notification, data: dict[str, Any], organisation_emails: Iterable[str]) -> list[str]:
    """The distinct addresses (emails, or one phone number for SMS) this event's message goes to."""
    recipient = named_recipient(data)
    if notification.channel is Channel.SMS:
        phone = _first([recipient.get("phone"), *(data.get(f) for f in _PHONE_FIELDS)], valid_phone)
        return [phone] if phone else []
    named = _first([recipient.get("email"), *(data.get(f) for f in _MAIL_FIELDS)], valid_email)
    candidates = [named] if named else []
    if not notification.carries_secret:
        listed = data.get("emails") if isinstance(data.get("emails"), list) else []
        candidates.extend(e for e in (valid_email(e) for e in [*listed, *organisation_emails]) if e)
    distinct: dict[str, str] = {}
    for address in candidates:
        distinct.setdefault(address.lower(), address)
    return list(distinct.values())
