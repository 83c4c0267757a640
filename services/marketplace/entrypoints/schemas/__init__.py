"""Request and response schemas of the marketplace API (marshmallow), grouped by area; field builders here."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import fields, validate

from services.marketplace.domain.pricing import MAX_AMOUNT_MINOR as MAX_MINOR
from shared.clock import isoformat


class UtcDateTime(fields.DateTime):
    """ISO 8601 UTC with a `Z` (marshmallow's own field writes `+00:00`)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return isoformat(value) if isinstance(value, datetime) else value


def money_field(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_MINOR), **kwargs)


def currency_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"), **kwargs)


def text_field(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def name_field(max_length: int, **kwargs: Any) -> fields.String:
    """A required-looking string: at least one character."""
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def email_field(**kwargs: Any) -> fields.Email:
    return fields.Email(validate=validate.Length(max=254), **kwargs)


def phone_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[0-9+()\- ]{3,32}$"), **kwargs)


def quantity_field(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), **kwargs)


def page_schema_fields(item: Any) -> dict[str, Any]:
    return {
        "items": fields.List(fields.Nested(item)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "page_size": fields.Integer(),
    }
