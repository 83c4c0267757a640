"""Request and response bodies of the notifier's HTTP API."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.notifier.domain.catalogue import Channel
from services.notifier.domain.delivery import Status
from services.notifier.domain.language import LANGUAGES
from services.notifier.domain.recipients import valid_email
from shared.clock import isoformat
from shared.web import PageArgs


class UtcDateTime(fields.Field):
    """ISO 8601 UTC with a `Z` (marshmallow's own field writes `+00:00`)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value)


def _email(value: str) -> None:
    if valid_email(value) is None:
        raise ValidationError("not a valid email address")


class MessageQuery(PageArgs):
    recipient = fields.String(validate=validate.Length(min=1, max=254), metadata={"description": "part of the address"})
    event_type = fields.String(validate=validate.Length(min=1, max=120))
    event_id = fields.String(validate=validate.Length(min=1, max=36))
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    channel = fields.String(validate=validate.OneOf([c.value for c in Channel]))


class MessageSchema(Schema):
    id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    channel = fields.String()
    recipient = fields.String()
    org_id = fields.String(allow_none=True)
    tenant_id = fields.String(allow_none=True, metadata={"description": "the event's tenant (whose SMS traffic an SMS draws)"})
    template = fields.String()
    language = fields.String()
    subject = fields.String(allow_none=True)
    body = fields.String(metadata={"description": "the text as sent, secrets masked"})
    has_secrets = fields.Boolean(metadata={"description": "the real text carried secrets (masked in `body`)"})
    status = fields.String(metadata={"enum": [s.value for s in Status]})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = UtcDateTime(allow_none=True)
    sent_at = UtcDateTime(allow_none=True)
    traffic = fields.String(allow_none=True, metadata={"enum": ["billed", "not_billed"],
                                                       "description": "an SMS of a tenant: whether its SMS traffic was drawn"})
    traffic_note = fields.String(allow_none=True, metadata={"description": "why not billed, e.g. insufficient_quota"})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class MessagePage(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class ResendSchema(Schema):
    message = fields.Nested(MessageSchema)
    content = fields.String(
        metadata={
            "enum": ["original", "masked"],
            "description": "`masked`: the real text was deleted when first sent, so the masked copy is sent",
        }
    )


class PreferenceInput(Schema):
    language = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(LANGUAGES))
    emails = fields.List(
        fields.String(validate=[validate.Length(max=254), _email]), load_default=list, validate=validate.Length(max=20)
    )


class PreferenceSchema(Schema):
    org_id = fields.String()
    language = fields.String(allow_none=True)
    emails = fields.List(fields.String())
    updated_at = UtcDateTime(allow_none=True)
