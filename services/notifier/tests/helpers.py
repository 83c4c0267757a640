"""Driving the notifier the way its worker does, and reading what it stored."""
from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from sqlalchemy import func, select

from services.notifier.adapters.orm import message_contents, messages
from services.notifier.adapters.sms import SmsSendFailed
from services.notifier.bootstrap import NotifierWorkerParts
from services.notifier.entrypoints.worker import message_handlers
from shared.envelope import Event
from shared.uow import UnitOfWork


def consume(parts: NotifierWorkerParts, event: Event) -> None:
    """Handle `event` in one transaction and commit, as the consumer runner does (minus its inbox)."""
    context = parts.context
    with context.session_factory() as session:
        handler = message_handlers(parts)[event.type]
        handler(UnitOfWork(context.service, session, context.tables, context.clock), event)
        session.commit()


def stored_messages(parts: NotifierWorkerParts, **where: Any) -> list[Any]:
    query = select(messages).order_by(messages.c.created_at, messages.c.recipient)
    for column, value in where.items():
        query = query.where(messages.c[column] == value)
    with parts.context.session_factory() as session:
        return list(session.execute(query).all())


def sealed_contents(parts: NotifierWorkerParts) -> list[Any]:
    with parts.context.session_factory() as session:
        return list(session.execute(select(message_contents)).all())


def count_messages(parts: NotifierWorkerParts) -> int:
    with parts.context.session_factory() as session:
        return session.execute(select(func.count()).select_from(messages)).scalar_one()


def header(mail: Message, name: str) -> str:
    """A header as its reader sees it (RFC 2047 encoded words decoded)."""
    return str(make_header(decode_header(mail[name])))


class RefusingSmsProvider:
    """An SMS provider that is down."""

    def send(self, phone: str, text: str, reference: str) -> None:
        raise SmsSendFailed("provider down")
