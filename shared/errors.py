"""RFC 9457 problem+json errors with a stable machine `code`, wired into Flask and flask-smorest.

Raise `Problem(status, code, detail)` anywhere in a request. Validation errors become 422 with
`errors: {field: [messages]}`; malformed JSON 400; oversize bodies 413; unknown routes 404; anything
unexpected 500 (logged, no internals in the body).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str | None = None, *, title: str | None = None, **extra: Any):
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.extra = extra
        self.headers: dict[str, str] = {}

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json body; `instance` is the request's path (taken from the request when not given)."""
        body: dict[str, Any] = {
            "type": f"https://errors.suite.example/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "code": self.code,
        }
        if instance is not None:
            body["instance"] = instance
        elif request:
            body["instance"] = request.path
        body.update(self.extra)
        return body


def not_found(what: str = "resource") -> Problem:
    return Problem(404, "not_found", f"{what} not found")


def conflict(code: str, detail: str, **extra: Any) -> Problem:
    return Problem(409, code, detail, **extra)


def validation(errors: dict[str, list[str]], detail: str = "request validation failed") -> Problem:
    return Problem(422, "validation_failed", detail, errors=errors)


def problem_response(problem: Problem) -> Response:
    response = Response(json.dumps(problem.to_dict(), ensure_ascii=False), status=problem.status, mimetype=PROBLEM_CONTENT_TYPE)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def _flatten_messages(messages: Any) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {"field": [...]}}); clients want field names."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    if isinstance(messages, dict):
        for location, inner in messages.items():
            if location in ("json", "query", "form", "files", "headers", "path", "view_args", "json_or_form"):
                walk("", inner)
            else:
                walk(str(location), inner)
    return flat


def from_http_exception(error: HTTPException) -> Problem:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if status == 400 and messages and "json" in messages and messages["json"] == ["Invalid JSON body."]:
        return Problem(400, "malformed_json", "the request body is not valid JSON")
    if status == 422 and messages is not None:
        return validation(_flatten_messages(messages))
    if status == 413:
        return Problem(413, "payload_too_large", "the request body is larger than allowed")
    detail = data.get("message") if isinstance(data, dict) and data.get("message") else error.description
    return Problem(status, _DEFAULT_CODES.get(status, "error"), detail)


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "stable machine-readable error code"})
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


def register(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return problem_response(from_http_exception(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(Problem(500, "internal_error", "an unexpected error occurred"))
