"""Input no database can store, and bodies of the wrong media type, are refused before any view runs.

- A NUL character or a lone surrogate (in the path, the query, form fields, uploaded files' names or
  any JSON string) is
  422 `unstorable_text`: PostgreSQL refuses NUL in text and no database can encode a lone surrogate,
  so letting them through would end as a 500 deep in a commit.
- A body sent with another media type to an operation that reads JSON is 415
  `unsupported_media_type`: flask-smorest would otherwise read it as an empty body, and an operation
  whose fields are all optional would act on nothing (found by tests/security/test_bad_input.py).
- A JSON body is parsed here, once (werkzeug caches it for the view), and refused with 400 before any
  parser below can fail on it: `json_too_deep` when arrays and objects nest deeper than
  `MAX_JSON_DEPTH` (deeper than the interpreter's recursion limit the parser raises RecursionError,
  and even below it every recursive walk of the value — validation, the NUL check — is at risk),
  `number_too_long` for an integer of more digits than Python converts (4,300: a ValueError that is
  no JSONDecodeError, which webargs let through as a 500), `malformed_json` for the rest.
- A `PATCH` that names no field (`{}` or no body) is 422 `nothing_to_change` on every operation that
  reads JSON: a change of nothing is a client's mistake, and views that build their UPDATE from the
  fields given had an empty `SET` (500).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import current_app, request

from shared.errors import Problem

JSON_TYPES = ("application/json",)
MAX_JSON_DEPTH = 32  # the suite's deepest body nests 4 levels


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels in `value` (iterative: no recursion to exhaust)."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        inner = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if inner is None:
            continue
        if depth > limit:
            return True
        pending.extend((item, depth + 1) for item in inner if isinstance(item, (dict, list)))
    return False


def parse_json(raw: bytes) -> Any:
    """The value of a JSON request body, or a 400 Problem (see the module's docstring)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Problem(400, "malformed_json", "the request body is not valid JSON") from None
    except ValueError:  # the integer-digits limit (sys.set_int_max_str_digits)
        raise Problem(400, "number_too_long", "a number in the request body has too many digits") from None
    # Nesting needs an opening bracket a level: a body with few of them is not worth the walk.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise _too_deep()
    return value


def _too_deep() -> Problem:
    return Problem(400, "json_too_deep", f"the request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
                   max_depth=MAX_JSON_DEPTH)


def _unstorable(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unstorable(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if _unstorable(value) else None
    if isinstance(value, dict):
        for key, inner in value.items():
            found = first_unstorable(key, path) or first_unstorable(inner, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found = first_unstorable(inner, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def may_hide_unstorable(raw: bytes) -> bool:
    """False when no string decoded from this JSON text can hold a NUL or a lone surrogate: no `\\u` escape,
    no NUL byte (UTF-16/32 without a byte-order mark have them in their ASCII), no UTF-16 byte-order mark and
    no 0xED lead byte (UTF-8 of U+D000–U+DFFF)."""
    return b"\\u" in raw or b"\x00" in raw or b"\xed" in raw or raw[:2] in (b"\xff\xfe", b"\xfe\xff")


def _refuse(field: str) -> Problem:
    return Problem(422, "unstorable_text", "text must not contain NUL characters or lone surrogates",
                   errors={field or "_schema": ["contains a NUL character or a lone surrogate"]})


@lru_cache(maxsize=1024)
def _reads_json(view: Any, method: str) -> bool:
    handler = getattr(getattr(view, "view_class", None), method.lower(), None) or view
    parameters = getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p.get("in") == "json" for p in parameters)


def _refuse_empty_patch() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and _reads_json(view, request.method):
        raise Problem(422, "nothing_to_change", "the request names no field to change", errors={"_schema": ["names no field"]})


def check_request() -> None:
    """before_request hook (after authentication)."""
    if _unstorable(request.path):
        raise _refuse("path")
    for name, values in request.args.lists():
        if _unstorable(name) or any(_unstorable(v) for v in values):
            raise _refuse(name)
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if not (request.content_length or request.headers.get("Transfer-Encoding")):
        if request.method == "PATCH":
            _refuse_empty_patch()
        return
    if request.mimetype in JSON_TYPES or request.mimetype.endswith("+json"):
        raw = request.get_data(cache=True)
        if not raw.strip():
            if request.method == "PATCH":
                _refuse_empty_patch()
            return
        body = parse_json(raw)
        request._cached_json = (body, body)  # werkzeug's cache (silent, not silent): the view's get_json reads it
        if body == {} and request.method == "PATCH":
            _refuse_empty_patch()
        if may_hide_unstorable(raw):
            field = first_unstorable(body, "")
            if field is not None:
                raise _refuse(field)
        return
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, values in request.form.lists():
            if _unstorable(name) or any(_unstorable(v) for v in values):
                raise _refuse(name)
        for name, files in request.files.lists():  # a file's name is stored too (a NUL in it was a 500)
            if _unstorable(name) or any(_unstorable(f.filename or "") or _unstorable(f.content_type or "") for f in files):
                raise _refuse(name)
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and _reads_json(view, request.method):
        raise Problem(415, "unsupported_media_type", f"this operation reads application/json, not {request.mimetype or 'no media type'}")
