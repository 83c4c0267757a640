"""Strict query strings: a parameter a list does not declare is a 422, as a bad value is.

webargs excludes unknown query parameters by default, so `?order_no=` or `?q=` on a list that knows
neither used to answer everything, as if the filter had matched. `strict_query_parameters()` (called
by `shared.web.create_app`) makes flask-smorest's parser raise on them: the answer is a 422 problem with
`errors: {"<name>": ["Unknown field."]}` and nothing changes. Only views that declare query arguments
(`@blp.arguments(Schema, location="query")`) read the query string; bad values are refused by the
schema's own validators (`OneOf`, `Range`, `Length`, and `@validates_schema` for `from` after `to`).

Searches (`?q=`) match a part of a column in any case with SQLAlchemy's `icontains(text, autoescape=True)`,
so `%` and `_` in what people type are searched for literally.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import RAISE

QUERY_LOCATIONS = ("query", "querystring")


def strict_query_parameters() -> None:
    """Every flask-smorest Blueprint shares one parser: unknown query parameters raise there (idempotent)."""
    parser = Blueprint.ARGUMENTS_PARSER
    parser.DEFAULT_UNKNOWN_BY_LOCATION = {
        **type(parser).DEFAULT_UNKNOWN_BY_LOCATION, **dict.fromkeys(QUERY_LOCATIONS, RAISE),
    }

