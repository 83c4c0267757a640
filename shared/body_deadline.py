"""Request bodies are read with a deadline, before the app runs: a slow client must not hold a worker.

granian calls a WSGI app as soon as a request's headers are in, and `wsgi.input.read(n)` then blocks
the app's thread until the client has sent n bytes, with no timeout (granian's only read timeout,
`--http1-header-read-timeout`, is for the headers). 70 clients sending a body byte by byte held every
thread of the gateway (health and proxying timed out), 10 every thread of a service (issue 16).

So `BodyDeadline` reads the body first, on a pool of reader threads of its own: each chunk of 64 KiB
must arrive within `SUITE_BODY_CHUNK_TIMEOUT` seconds (10: at least 6.4 KB/s) and the whole body within
`SUITE_BODY_TIMEOUT` (60). The app then reads it from memory (a temporary file past 1 MiB); a chunked
body reaches it with its length. A client too slow gets 408 `body_timeout` (problem+json, `Connection:
close`) and the app's thread is free at once. A reader whose client went silent stays on its read until
the client sends or goes away (granian keeps the connection; WSGI cannot cut it), so the readers are a
bounded pool (`SUITE_BODY_READERS`, 256 a process): slow clients can hold at most that many, never the
app's threads, and a body that finds every reader taken waits for one within its own deadline. A body
announced larger than the route's limit is not read at all (the app answers 413 without reading), and a
chunked one is read only to one byte past it. In production the reverse proxy in front buffers request
bodies with its own timeouts (deploy/k8s/README.md), so slow bodies rarely reach the servers at all.

The cost: one hand-off to a reader thread a request with a body (~35 µs of CPU here, measured with
10,000 hand-offs; wall time more on a loaded machine). A deployment whose every server sits behind a
proxy that buffers bodies may set `SUITE_BODY_READERS=0`: bodies are then passed through unread.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ReadTimedOut
from time import monotonic
from typing import IO, Any

from shared.errors import PROBLEM_CONTENT_TYPE, Problem

CHUNK = 64 * 1024
IN_MEMORY = 1024 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _TooSlow(Exception):
    pass


class BodyDeadline:
    """WSGI middleware: the body read whole within the deadlines (see the module's docstring)."""

    def __init__(self, app: WsgiApp, limit_of: Callable[[dict[str, Any]], int | None], *, chunk_timeout: float = 10.0,
                 total_timeout: float = 60.0, readers: int = 256) -> None:
        self.app = app
        self.limit_of = limit_of
        self.chunk_timeout = chunk_timeout
        self.total_timeout = total_timeout
        self.readers = ThreadPoolExecutor(readers, thread_name_prefix="body-reader") if readers > 0 else None

    @classmethod
    def from_env(cls, app: WsgiApp, limit_of: Callable[[dict[str, Any]], int | None]) -> "BodyDeadline":
        return cls(app, limit_of, chunk_timeout=float(os.environ.get("SUITE_BODY_CHUNK_TIMEOUT", "10")),
                   total_timeout=float(os.environ.get("SUITE_BODY_TIMEOUT", "60")),
                   readers=int(os.environ.get("SUITE_BODY_READERS", "256")))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        announced = environ.get("CONTENT_LENGTH")
        length = int(announced) if announced and announced.isdigit() else None
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (not length and not chunked) or self.readers is None:
            return self.app(environ, start_response)
        limit = self.limit_of(environ)
        if length is not None and limit is not None and length > limit:
            return self.app(environ, start_response)  # refused unread (413)
        wanted = length if length is not None else (limit + 1 if limit is not None else None)
        try:
            body, size = self._read(environ["wsgi.input"], wanted)
        except _TooSlow:
            return _too_slow(environ, start_response, self.chunk_timeout)
        environ["wsgi.input"] = body
        if chunked or length is None:  # the app sees a body of known length (past the limit: refused, 413)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["CONTENT_LENGTH"] = str(size)
        return self.app(environ, start_response)

    def _read(self, stream: IO[bytes], wanted: int | None) -> tuple[IO[bytes], int]:
        assert self.readers is not None
        body: IO[bytes] = tempfile.SpooledTemporaryFile(IN_MEMORY)  # noqa: SIM115 - the app reads it; closed with the request
        deadline = monotonic() + self.total_timeout
        size = 0
        while wanted is None or size < wanted:
            asked = CHUNK if wanted is None else min(CHUNK, wanted - size)
            left = deadline - monotonic()
            if left <= 0:
                raise _TooSlow
            try:
                chunk = self.readers.submit(stream.read, asked).result(min(self.chunk_timeout, left))
            except ReadTimedOut:
                raise _TooSlow from None
            if not chunk:
                break
            body.write(chunk)
            size += len(chunk)
        body.seek(0)
        return body, size


def _too_slow(environ: dict[str, Any], start_response: Callable[..., Any], chunk_timeout: float) -> Iterable[bytes]:
    problem = Problem(408, "body_timeout", f"the request body did not arrive in time (each 64 KiB within {chunk_timeout:g} s)")
    content = json.dumps(problem.to_dict(instance=environ.get("PATH_INFO", "")), ensure_ascii=False).encode()
    start_response("408 Request Timeout", [("Content-Type", PROBLEM_CONTENT_TYPE), ("Content-Length", str(len(content))),
                                          ("Connection", "close")])
    return [content]
