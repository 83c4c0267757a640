"""Sending queued messages, outside any consumer transaction, each by exactly one sender.

A run claims due messages in a short transaction (hiding them from other senders for a lease and
counting the attempt), sends them with no transaction open, then records each outcome in another
short transaction: sent (the sealed real text is deleted) or failed (retried after a growing pause,
given up after MAX_ATTEMPTS). A sender that dies mid-send leaves its messages to be retried when the
lease ends. A message whose real text is no longer kept (it was sent before and staff asked for a
resend) goes out as its masked copy.

Before an SMS of a tenant goes out for the first time, one use of the tenant's SMS traffic is drawn
from entitlements (domain/traffic.py has the policy when nothing can be drawn); the outcome is
recorded on the message, so later attempts and resends do not draw again.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from services.notifier.adapters import message_store
from services.notifier.adapters.mail import Mailer, MailSendFailed, OutgoingMail
from services.notifier.adapters.message_store import ClaimedMessage
from services.notifier.adapters.secret_box import SealedContentUnreadable, SecretBox
from services.notifier.adapters.sms import SmsProvider, SmsSendFailed
from services.notifier.adapters.templates import html_alternative
from services.notifier.adapters.traffic import NoTraffic, TrafficClient
from services.notifier.domain.catalogue import Channel, is_essential
from services.notifier.domain.delivery import SENDING_LEASE, next_attempt_after_failure
from services.notifier.domain.traffic import bill_sms
from shared import metrics
from shared.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channels:
    mail: Mailer
    sms: SmsProvider


class SmsTrafficNotDrawn(Exception):
    """The tenant's SMS traffic could not be drawn and the SMS may not go out unbilled; it is retried."""


@dataclass(frozen=True)
class Content:
    subject: str | None
    body: str
    to_name: str | None = None


class MessageDelivery:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        channels: Channels,
        box: SecretBox,
        *,
        traffic: TrafficClient | None = None,
        batch_size: int = 20,
        max_per_run: int = 500,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.channels = channels
        self.box = box
        self.traffic = traffic or NoTraffic()
        self.batch_size = batch_size
        self.max_per_run = max_per_run

    def deliver_due(self) -> int:
        """Send every due message (up to `max_per_run`); return how many were sent."""
        sent = attempted = 0
        while attempted < self.max_per_run:
            claimed = self._claim(None)
            if not claimed:
                break
            attempted += len(claimed)
            sent += sum(self._send(message) for message in claimed)
        return sent

    def deliver(self, message_ids: Sequence[str]) -> int:
        """Send these messages now if they are due (right after the event that queued them)."""
        return sum(self._send(message) for message in self._claim(message_ids))

    def deliver_quietly(self, message_ids: Sequence[str]) -> None:
        """`deliver` for a caller that must not fail: whatever is not sent now, the job sends later."""
        try:
            self.deliver(message_ids)
        except Exception:  # noqa: BLE001 - the delivery job retries; the caller's work is already committed
            log.warning("immediate delivery failed; the delivery job will retry", exc_info=True)

    def _claim(self, only: Sequence[str] | None) -> list[ClaimedMessage]:
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            return message_store.claim_due(session, now, now + SENDING_LEASE, self.batch_size, only)

    def _send(self, message: ClaimedMessage) -> bool:
        try:
            content = self._content(message)
            self._draw_sms_traffic(message)
            self._hand_over(message, content)
        except Exception as exc:  # noqa: BLE001 - any failure of one message is recorded on it and retried
            self._record_failure(message, _failure_reason(exc))
            metrics.NOTIFICATIONS.labels(_channel(message), "failed").inc()
            return False
        with self.session_factory() as session, session.begin():
            message_store.mark_sent(session, message.id, self.clock.now())
        metrics.NOTIFICATIONS.labels(_channel(message), "sent").inc()
        log.info("message sent", extra={"fields": {"message_id": message.id, "channel": message.channel, "attempt": message.attempts}})
        return True

    def _content(self, message: ClaimedMessage) -> Content:
        if message.sealed is None:
            return Content(message.masked_subject, message.masked_body)
        opened = json.loads(self.box.open(*message.sealed, bound_to=message.id))
        return Content(opened["subject"], opened["body"], opened.get("to_name"))

    def _draw_sms_traffic(self, message: ClaimedMessage) -> None:
        """Draw one SMS use of the message's tenant once; raise SmsTrafficNotDrawn when it may not go out."""
        if message.channel != Channel.SMS or message.tenant_id is None or message.traffic is not None:
            return
        billing = bill_sms(self.traffic.draw_sms(message.tenant_id, message.id), is_essential(message.event_type))
        if billing.traffic is None:
            raise SmsTrafficNotDrawn(f"SMS traffic not drawn: {billing.note}")
        with self.session_factory() as session, session.begin():
            message_store.record_traffic(session, message.id, billing.traffic, billing.note, self.clock.now())
        log.info("SMS traffic", extra={"fields": {"message_id": message.id, "traffic": str(billing.traffic), "note": billing.note}})

    def _hand_over(self, message: ClaimedMessage, content: Content) -> None:
        if message.channel == Channel.SMS:
            self.channels.sms.send(message.recipient, content.body, message.id)
            return
        self.channels.mail.send(
            OutgoingMail(
                message_id=message.id,
                to=message.recipient,
                to_name=content.to_name,
                subject=content.subject or "",
                text=content.body,
                html=html_alternative(content.body, message.language),
                language=message.language,
                at=self.clock.now(),
            )
        )

    def _record_failure(self, message: ClaimedMessage, reason: str) -> None:
        now = self.clock.now()
        retry_at = next_attempt_after_failure(message.attempts, now)
        with self.session_factory() as session, session.begin():
            message_store.record_failed_attempt(session, message.id, reason, retry_at, now)
        log.warning(
            "message not sent" if retry_at else "message given up",
            extra={"fields": {"message_id": message.id, "channel": message.channel, "attempt": message.attempts, "error": reason}},
        )


def _channel(message: ClaimedMessage) -> str:
    return str(getattr(message.channel, "value", message.channel))


def _failure_reason(exc: Exception) -> str:
    """What to record and log about a failed send: our adapters' own wording, else only the error type
    (an unexpected exception's text might quote the message)."""
    if isinstance(exc, MailSendFailed | SmsSendFailed | SealedContentUnreadable | SmsTrafficNotDrawn):
        return str(exc)
    return f"unexpected {type(exc).__name__}"
