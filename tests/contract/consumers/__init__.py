"""What each consumer expects of the events it subscribes to: one `MessageExpectation` per subscription edge.

An expectation names the event type, why the consumer reads it (the interaction's description starts
with the type), the producer's provider state in business language, the envelope's `subject` and the
`data` fields the consumer relies on (tests/contract/matchers.py's vocabulary). `prepare` puts the
consumer's own database in the state the handler needs to do real work; `check` asserts that work.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.contract.harness import Service
from tests.contract.matchers import exactly, nullable, one_of, timestamp, uuid

TENANT = "4b8e1f2a-6c3d-4e5f-8a9b-0c1d2e3f4a5b"
TAX_ID = "91330100716105852F"
LANGUAGE = one_of("zh-CN", "en")
SERVICE_GROUP = one_of("invoice_issuing", "invoice_receiving")


def recipient(email: str = "admin@acme.test", *, sms: bool = False) -> dict[str, Any]:
    """The `recipient` object of the events that ask the notifier to deliver a message: its e-mail
    address is what a mail needs, its phone number what an SMS needs."""
    phone = "13800138000"
    return {"email": nullable(email) if sms else email, "phone": phone if sms else nullable(phone), "name": nullable("张三"),
            "language": nullable(LANGUAGE)}


@dataclass(frozen=True)
class MessageExpectation:
    consumer: str
    event_type: str
    reason: str
    state: str
    subject: Any
    data: dict[str, Any]
    prepare: Callable[[Service], None] | None = None
    check: Callable[[Service, dict[str, Any]], None] | None = None

    @property
    def producer(self) -> str:
        return self.event_type.split(".", 1)[0]

    @property
    def description(self) -> str:
        return f"{self.event_type}: {self.reason}"

    def envelope(self) -> dict[str, Any]:
        """The CloudEvents envelope the consumer's runtime needs (shared/envelope.py) around the data."""
        return {
            "specversion": exactly("1.0"),
            "id": uuid(),
            "type": exactly(self.event_type),
            "source": exactly(f"/services/{self.producer}"),
            "time": timestamp(),
            "subject": self.subject,
            "datacontenttype": exactly("application/json"),
            "correlationid": "0d6f4c8a-3b2e-4f1a-9c7d-5e8b2a1f3c4d",
            "data": self.data,
        }


def all_expectations() -> list[MessageExpectation]:
    from tests.contract.consumers import billing, entitlements, identity, licensing, marketplace, notifier

    return [*notifier.EXPECTATIONS, *entitlements.EXPECTATIONS, *identity.EXPECTATIONS, *licensing.EXPECTATIONS,
            *billing.EXPECTATIONS, *marketplace.EXPECTATIONS]
