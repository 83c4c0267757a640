"""CloudEvents 1.0 envelope (structured JSON mode) for the suite's domain events.

`type` is `<service>.<aggregate>.<past-tense verb>.v<N>`; `source` is `/services/<service>`; `id` is a
UUID and the consumers' dedupe key. Extensions: tenantid, correlationid, causationid, traceparent.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shared.clock import isoformat, utcnow

EVENT_TYPE_RE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$")
SOURCE_RE = re.compile(r"^/services/[a-z][a-z_]*$")


class InvalidEnvelope(ValueError):
    """The message is not a valid suite CloudEvent; it is dead-lettered, never retried."""


class _CloudEventSchema(Schema):
    specversion = fields.String(required=True, validate=validate.Equal("1.0"))
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_RE))
    source = fields.String(required=True, validate=validate.Regexp(SOURCE_RE))
    time = fields.AwareDateTime(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    datacontenttype = fields.String(required=True, validate=validate.Equal("application/json"))
    data = fields.Dict(required=True)
    tenantid = fields.String(allow_none=True, load_default=None)
    correlationid = fields.String(allow_none=True, load_default=None)
    causationid = fields.String(allow_none=True, load_default=None)
    traceparent = fields.String(allow_none=True, load_default=None)


_SCHEMA = _CloudEventSchema()


@dataclass(frozen=True)
class Event:
    type: str
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: str = field(default_factory=lambda: isoformat(utcnow()) or "")
    tenantid: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    specversion: str = "1.0"
    datacontenttype: str = "application/json"

    @property
    def service(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            "data": self.data,
        }
        for ext in ("tenantid", "correlationid", "causationid", "traceparent"):
            value = getattr(self, ext)
            if value is not None:
                body[ext] = value
        return body


def new_event(
    service: str,
    type: str,
    subject: str,
    data: dict[str, Any],
    *,
    tenant_id: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
) -> Event:
    """Build a validated event of `service`. Trace and correlation ids default to the current context."""
    if not type.startswith(service + "."):
        raise InvalidEnvelope(f"event type {type!r} is not owned by service {service!r}")
    from shared import tracing  # local: tracing imports nothing of ours but keeps import light

    event_id = str(uuid.uuid4())
    event = Event(
        id=event_id,
        type=type,
        source=f"/services/{service}",
        subject=str(subject),
        data=data,
        tenantid=str(tenant_id) if tenant_id is not None else None,
        correlationid=correlation_id or tracing.current_correlation_id() or event_id,
        causationid=causation_id or tracing.current_causation_id(),
        traceparent=traceparent or tracing.current_traceparent(),
    )
    validate_event(event.to_dict())
    return event


def validate_event(body: Any) -> Event:
    """Parse and validate a structured-mode CloudEvent dict; raise InvalidEnvelope if it is not one."""
    if not isinstance(body, dict):
        raise InvalidEnvelope("event body is not a JSON object")
    try:
        loaded = _SCHEMA.load(body, unknown="include")
    except ValidationError as exc:
        raise InvalidEnvelope(str(exc.messages)) from exc
    time_value = loaded["time"]
    return Event(
        id=str(loaded["id"]),
        type=loaded["type"],
        source=loaded["source"],
        subject=loaded["subject"],
        data=loaded["data"],
        time=isoformat(time_value) if isinstance(time_value, datetime) else str(time_value),
        tenantid=loaded.get("tenantid"),
        correlationid=loaded.get("correlationid"),
        causationid=loaded.get("causationid"),
        traceparent=loaded.get("traceparent"),
    )
