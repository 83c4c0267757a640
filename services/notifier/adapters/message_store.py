"""Reading and writing the message log, the sealed contents and the organisations' preferences."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, insert, select, update
from sqlalchemy.orm import Session

from services.notifier.adapters.orm import message_contents, messages, organisation_preferences
from services.notifier.domain.delivery import Status


@dataclass(frozen=True)
class MessageFilter:
    recipient: str | None = None
    event_type: str | None = None
    event_id: str | None = None
    status: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class ClaimedMessage:
    """A message one sender has taken to send now, with its sealed content if still kept."""

    id: str
    channel: str
    recipient: str
    language: str
    masked_subject: str | None
    masked_body: str
    attempts: int
    sealed: tuple[bytes, bytes] | None
    event_type: str = ""
    tenant_id: str | None = None
    traffic: str | None = None


def message_exists(session: Session, event_id: str, channel: str, recipient: str) -> bool:
    query = select(messages.c.id).where(
        messages.c.event_id == event_id, messages.c.channel == channel, messages.c.recipient == recipient
    )
    return session.execute(query).first() is not None


def add_message(session: Session, **values: Any) -> None:
    session.execute(insert(messages).values(**values))


def seal_content(session: Session, message_id: str, nonce: bytes, ciphertext: bytes) -> None:
    session.execute(insert(message_contents).values(message_id=message_id, nonce=nonce, ciphertext=ciphertext))


def content_kept(session: Session, message_id: str) -> bool:
    query = select(message_contents.c.message_id).where(message_contents.c.message_id == message_id)
    return session.execute(query).first() is not None


def claim_due(
    session: Session, now: datetime, lease_until: datetime, limit: int, only: Sequence[str] | None = None
) -> list[ClaimedMessage]:
    """Take up to `limit` due queued messages for this sender: each is hidden from other senders until
    `lease_until` and its attempt is counted. Rows another sender is claiming are skipped (FOR UPDATE
    SKIP LOCKED)."""
    query = (
        select(messages.c.id)
        .where(messages.c.status == Status.QUEUED, messages.c.next_attempt_at <= now)
        .order_by(messages.c.next_attempt_at, messages.c.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(messages.c.id.in_(list(only)))
    query = query.with_for_update(skip_locked=True)
    ids = list(session.execute(query).scalars())
    if not ids:
        return []
    session.execute(
        update(messages)
        .where(messages.c.id.in_(ids))
        .values(next_attempt_at=lease_until, attempts=messages.c.attempts + 1, updated_at=now)
    )
    rows = session.execute(
        select(messages, message_contents.c.nonce, message_contents.c.ciphertext)
        .outerjoin(message_contents, message_contents.c.message_id == messages.c.id)
        .where(messages.c.id.in_(ids))
        .order_by(messages.c.next_attempt_at, messages.c.id)
    ).all()
    return [_claimed(row) for row in rows]


def _claimed(row: Row) -> ClaimedMessage:
    sealed = (row.nonce, row.ciphertext) if row.nonce is not None else None
    return ClaimedMessage(row.id, row.channel, row.recipient, row.language, row.subject, row.body, row.attempts, sealed,
                          row.event_type, row.tenant_id, row.traffic)


def record_traffic(session: Session, message_id: str, traffic: str, note: str | None, now: datetime) -> None:
    """Whether the SMS traffic of the message's tenant was drawn (decided once per message)."""
    session.execute(
        update(messages).where(messages.c.id == message_id).values(traffic=traffic, traffic_note=note, updated_at=now)
    )


def mark_sent(session: Session, message_id: str, now: datetime) -> None:
    session.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(status=Status.SENT, sent_at=now, next_attempt_at=None, last_error=None, updated_at=now)
    )
    session.execute(delete(message_contents).where(message_contents.c.message_id == message_id))


def record_failed_attempt(session: Session, message_id: str, error: str, retry_at: datetime | None, now: datetime) -> None:
    """Schedule the next attempt, or mark the message failed when `retry_at` is None."""
    status = Status.QUEUED if retry_at is not None else Status.FAILED
    session.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(status=status, last_error=error[:1000], next_attempt_at=retry_at, updated_at=now)
    )


def requeue(session: Session, message_id: str, now: datetime) -> None:
    session.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(status=Status.QUEUED, attempts=0, last_error=None, next_attempt_at=now, updated_at=now)
    )


def get_message(session: Session, message_id: str) -> Row | None:
    return session.execute(select(messages).where(messages.c.id == message_id)).first()


def messages_query(criteria: MessageFilter) -> Select:
    query = select(messages).order_by(messages.c.created_at.desc(), messages.c.id)
    if criteria.recipient:
        query = query.where(messages.c.recipient.ilike(f"%{_escaped_like(criteria.recipient)}%", escape="\\"))
    for column, value in (
        (messages.c.event_type, criteria.event_type),
        (messages.c.event_id, criteria.event_id),
        (messages.c.status, criteria.status),
        (messages.c.channel, criteria.channel),
    ):
        if value:
            query = query.where(column == value)
    return query


def _escaped_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def organisation_preference(session: Session, org_id: str) -> Row | None:
    query = select(organisation_preferences).where(organisation_preferences.c.org_id == org_id)
    return session.execute(query).first()


def save_organisation_preference(session: Session, org_id: str, language: str | None, emails: Iterable[str], now: datetime) -> None:
    values = {"language": language, "emails": list(emails), "updated_at": now}
    if organisation_preference(session, org_id) is None:
        session.execute(insert(organisation_preferences).values(org_id=org_id, **values))
    else:
        session.execute(update(organisation_preferences).where(organisation_preferences.c.org_id == org_id).values(**values))
