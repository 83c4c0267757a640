"""shared/body_deadline.py: the body is read whole within deadlines before the app runs."""
from __future__ import annotations

import io
import json
import threading
from typing import Any

from shared.body_deadline import BodyDeadline


class SilentClient:
    """A body that never comes (until released): granian's `wsgi.input.read` blocks like this."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def read(self, _size: int = -1) -> bytes:
        self.released.wait(10)
        return b""


def call(middleware: BodyDeadline, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(status=status, headers=dict(headers))

    body = b"".join(middleware(environ, start_response))
    return seen["status"], seen["headers"], body


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"length": length, "body": body.decode(), "chunked": "HTTP_TRANSFER_ENCODING" in environ}).encode()]


def test_a_body_that_does_not_come_is_408_and_the_app_never_waits_for_it() -> None:
    client = SilentClient()
    middleware = BodyDeadline(echo, lambda _e: 1024, chunk_timeout=0.2, readers=2)
    try:
        status, headers, body = call(middleware, {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "CONTENT_LENGTH": "10",
                                                  "wsgi.input": client})
    finally:
        client.released.set()
    assert status.startswith("408") and headers["Content-Type"] == "application/problem+json" and headers["Connection"] == "close"
    assert json.loads(body)["code"] == "body_timeout"


def test_bodies_reach_the_app_whole_and_a_chunked_one_with_its_length() -> None:
    middleware = BodyDeadline(echo, lambda _e: 1024, chunk_timeout=1)
    _, _, known = call(middleware, {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5", "wsgi.input": io.BytesIO(b"hello")})
    assert json.loads(known) == {"length": 5, "body": "hello", "chunked": False}
    _, _, chunked = call(middleware, {"REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"abc")})
    assert json.loads(chunked) == {"length": 3, "body": "abc", "chunked": False}


def test_a_body_over_the_limit_is_never_read_and_a_chunked_one_only_one_byte_past_it() -> None:
    untouched = SilentClient()  # reading it would time out: the app gets it as it is and answers 413 unread
    middleware = BodyDeadline(lambda e, s: (s("413 Payload Too Large", []), [b""])[1], lambda _e: 4, chunk_timeout=0.2)
    status, _, _ = call(middleware, {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5", "wsgi.input": untouched})
    assert status.startswith("413")
    untouched.released.set()
    over = BodyDeadline(echo, lambda _e: 4, chunk_timeout=1)
    _, _, body = call(over, {"REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"x" * 100)})
    assert json.loads(body)["length"] == 5  # past the limit: the app refuses it by its length


def test_without_readers_bodies_pass_through_unread() -> None:
    stream = io.BytesIO(b"hello")
    middleware = BodyDeadline(lambda e, s: (s("200 OK", []), [b"yes" if e["wsgi.input"] is stream else b"no"])[1], lambda _e: 10,
                              readers=0)
    assert call(middleware, {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5", "wsgi.input": stream})[2] == b"yes"
