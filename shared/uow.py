"""The unit of work handed to service-layer handlers: one transaction, its outbox and its audit log.

Handlers never commit; the entrypoint that opened the unit of work does (the request, the consumer
runner or the job runner), so the business change, its events and its audit rows commit together.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from shared import outbox
from shared.clock import Clock, utcnow
from shared.db import PlatformTables
from shared.envelope import Event, new_event


@dataclass(frozen=True)
class Actor:
    id: str | None
    org_id: str | None
    request_id: str | None = None


SYSTEM = Actor(id="system", org_id=None)


@dataclass
class UnitOfWork:
    service: str
    session: Session
    tables: PlatformTables
    clock: Clock
    actor: Actor = SYSTEM

    def emit(self, type: str, subject: str, data: dict[str, Any], *, tenant_id: str | None = None) -> Event:
        event = new_event(self.service, type, subject, data, tenant_id=tenant_id)
        outbox.record(self.session, self.tables.outbox, event)
        return event

    def audit(self, action: str, target_type: str, target_id: str | None, detail: dict[str, Any] | None = None) -> None:
        self.session.execute(
            self.tables.audit_log.insert().values(
                at=utcnow(),
                actor_id=self.actor.id,
                actor_org_id=self.actor.org_id,
                action=action,
                target_type=target_type,
                target_id=target_id,
                detail=detail,
                request_id=self.actor.request_id,
            )
        )
