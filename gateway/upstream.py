"""Forwarding one request to its service and the service's answer back to the client.

One keep-alive connection pool per service and process (gateway/connections.py) carries every
forwarded request, sized for the worker's threads. Bodies stream in both directions, so a 10 MiB
upload or an XLSX export never sits whole in memory; small bodies are read in one go (cheaper).
A request is never sent twice when that could repeat an effect (see gateway/connections.py).
"""
from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import quote

from opentelemetry import propagate
from werkzeug.wsgi import LimitedStream

from gateway import metrics
from gateway.connections import Exchange, ServicePool, UpstreamFailure
from shared.errors import Problem

CHUNK = 64 * 1024
SMALL_BODY = 256 * 1024

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
)
# Set on the client's answer by the gateway (its own request id), never copied from the service's.
SET_ON_ANSWER = frozenset({"x-request-id"})
# Set by the gateway itself (or by the HTTP client from the body), never copied from the client.
SET_BY_GATEWAY = frozenset(
    {"host", "content-length", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "traceparent", "tracestate", "x-request-id"}
)


class BodyTooLarge(Exception):
    """The client sent more than the gateway's body limit (found while streaming)."""


def body_too_large(limit: int) -> Problem:
    return Problem(413, "payload_too_large", f"the request body is larger than {limit} bytes", max_bytes=limit)


class _KnownLengthBody:
    """A body of announced length, streamed in chunks; `len()` lets the client send Content-Length."""

    def __init__(self, stream: IO[bytes], length: int) -> None:
        self._stream = stream
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._stream.read(CHUNK):
            yield chunk


class ChunkedBody:
    """A body of unknown length (chunked transfer encoding), cut off once it passes the limit."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._received = 0
        self._ended = False

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._stream.read(CHUNK):
            self._received += len(chunk)
            if self._received > self._limit:
                raise BodyTooLarge
            yield chunk
        self._ended = True

    def runs_over_the_limit(self) -> bool:
        """Whether the client's body, read on (and dropped) past what was forwarded, passes the limit.

        Asked when the service broke the exchange while the body streamed: a service that answers
        early (its own, smaller limit) and closes stops reading, and the client would see a 502 where
        the body it sent is too large for the gateway itself.
        """
        while not self._ended and self._received <= self._limit:
            chunk = self._stream.read(CHUNK)
            if not chunk:
                self._ended = True
            self._received += len(chunk)
        return self._received > self._limit


def request_body(environ: Mapping[str, Any], limit: int) -> bytes | Iterable[bytes] | None:
    """What to send upstream: None (no body), the bytes of a small body, or a streaming body.

    Read from the WSGI environ as werkzeug's `Request.stream` would: exactly `Content-Length` bytes
    (a larger body is streamed through a `LimitedStream`), or the terminated input of a chunked body.
    """
    announced = environ.get("CONTENT_LENGTH")
    length = int(announced) if announced and announced.isdigit() else None
    if length is not None:
        if length > limit:
            raise body_too_large(limit)
        if length <= SMALL_BODY:
            if length:
                return environ["wsgi.input"].read(length)
            return b"" if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") else None
        return _KnownLengthBody(LimitedStream(environ["wsgi.input"], length), length)
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return ChunkedBody(environ["wsgi.input"], limit)
    return None


_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def raw_target(environ: Mapping[str, Any]) -> str:
    """The path as the client sent it and the query string.

    gunicorn and werkzeug give the raw request line (`RAW_URI`/`REQUEST_URI`), so `%2F` inside an id
    stays encoded. granian gives only the decoded `PATH_INFO`, which is re-encoded here byte for byte
    (PEP 3333: its characters are the request's bytes as latin-1), so the service sees the same path;
    only an encoded `/` reaches it as a `/` — which the services' own routing (on `PATH_INFO`) does too.
    """
    path = None
    for key in ("RAW_URI", "REQUEST_URI"):
        uri = environ.get(key)
        if isinstance(uri, str) and uri.startswith("/"):
            path = uri.partition("?")[0]
            break
    if path is None:
        decoded = environ.get("PATH_INFO", "/")
        try:
            path = quote(decoded, safe=_PATH_SAFE, encoding="latin-1")
        except UnicodeEncodeError:  # a server that decoded the path as UTF-8 instead of as PEP 3333 says
            path = quote(decoded, safe=_PATH_SAFE)
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


# Request headers as WSGI environ keys; the body headers arrive without the HTTP_ prefix.
_SKIPPED_KEYS = frozenset(_environ_key(h) for h in HOP_BY_HOP | SET_BY_GATEWAY)
_BODY_KEYS = {"CONTENT_TYPE": "Content-Type"}


def forwarded_headers(environ: Mapping[str, Any], request_id: str, peer: str) -> dict[str, str]:
    """The client's end-to-end headers plus the forwarding headers the gateway is responsible for.

    Read straight from the WSGI environ: this runs for every request and werkzeug's header views
    cost several times more.
    """
    named_in_connection = environ.get("HTTP_CONNECTION")
    skipped = _SKIPPED_KEYS
    if named_in_connection:
        skipped = skipped | {_environ_key(t.strip()) for t in named_in_connection.split(",") if t.strip()}
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key not in skipped:
                headers[key[5:].replace("_", "-").title()] = value
        elif key in _BODY_KEYS and value:
            headers[_BODY_KEYS[key]] = value
    earlier = environ.get("HTTP_X_FORWARDED_FOR")
    headers["X-Forwarded-For"] = f"{earlier}, {peer}" if earlier else peer
    headers["X-Forwarded-Proto"] = environ.get("wsgi.url_scheme", "http")
    headers["X-Forwarded-Host"] = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    headers["X-Request-ID"] = request_id
    return headers


class ServiceUnavailable(Exception):
    """A service did not answer a gateway's own request (probe, OpenAPI) usefully; `status` if it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceProxy:
    """Sends a client's request to a service and turns the answer (or the failure) into a response.

    The current span (the gateway's server span for the request) is injected as the trace context.
    """

    def __init__(self, service_urls: Mapping[str, str], *, connect_timeout: float, read_timeout: float, pool_size: int) -> None:
        self.service_urls = dict(service_urls)
        self.pools = {
            name: ServicePool(url, size=pool_size, connect_timeout=connect_timeout, read_timeout=read_timeout)
            for name, url in self.service_urls.items()
        }

    def forward(
        self, service: str, method: str, environ: Mapping[str, Any], body: bytes | Iterable[bytes] | None, headers: dict[str, str]
    ) -> "Answer":
        """The service's answer to the client's request, or a 502/504 Problem."""
        if isinstance(body, _KnownLengthBody):
            headers["Content-Length"] = str(len(body))
        propagate.inject(headers)
        started = time.perf_counter()
        try:
            exchange = self.pools[service].send(method, raw_target(environ), headers, body)
        except UpstreamFailure as exc:
            if exc.timed_out:
                raise Problem(504, "gateway_timeout", f"the {service} service did not answer in time", service=service) from exc
            raise Problem(502, "bad_gateway", f"the {service} service is unavailable", service=service) from exc
        finally:
            metrics.upstream_seconds(service).observe(time.perf_counter() - started)
        return _answer(exchange, method)

    def get_json(self, service: str, path: str, timeout: float) -> Any:
        """GET a JSON document from a service for the gateway itself (readiness, OpenAPI)."""
        try:
            exchange = self.pools[service].send("GET", path, {"Accept": "application/json"}, None, read_timeout=timeout)
            content = exchange.response.read()
        except (UpstreamFailure, OSError, http.client.HTTPException) as exc:
            raise ServiceUnavailable(str(exc)) from exc
        exchange.finish()
        if exchange.response.status != 200:
            raise ServiceUnavailable(f"{service} answered {exchange.response.status} for {path}", exchange.response.status)
        try:
            return json.loads(content)
        except ValueError as exc:
            raise ServiceUnavailable(f"{service} sent no JSON for {path}") from exc


class Answer:
    """A service's answer as the WSGI server wants it: status line, headers, body iterable."""

    __slots__ = ("status", "status_line", "headers", "body")

    def __init__(self, status: int, status_line: str, headers: list[tuple[str, str]], body: Iterable[bytes]) -> None:
        self.status = status
        self.status_line = status_line
        self.headers = headers
        self.body = body


def _answer(exchange: Exchange, method: str) -> Answer:
    """Status, end-to-end headers (several `Set-Cookie` stay several) and the body: read whole when
    small (the connection goes back to the pool at once), else streamed."""
    upstream = exchange.response
    connection_tokens = HOP_BY_HOP
    named = upstream.getheader("Connection")
    if named:
        connection_tokens = HOP_BY_HOP | {t.strip().lower() for t in named.split(",") if t.strip()}
    headers = [(k, v) for k, v in upstream.getheaders() if k.lower() not in connection_tokens and k.lower() not in SET_ON_ANSWER]
    length = upstream.getheader("Content-Length")
    body: Iterable[bytes]
    if method == "HEAD" or upstream.status in (204, 304) or (length is not None and length.isdigit() and int(length) <= SMALL_BODY):
        try:
            content = upstream.read()
        except (OSError, http.client.HTTPException):
            exchange.abandon()
            raise
        exchange.finish()
        body = [content] if content else []  # a list: granian writes it in one go (an iterator goes chunk by chunk)
    else:
        body = _stream(exchange)
    return Answer(upstream.status, f"{upstream.status} {upstream.reason or ''}".rstrip(), headers, body)


def _stream(exchange: Exchange) -> Iterator[bytes]:
    finished = False
    try:
        while chunk := exchange.response.read(CHUNK):
            yield chunk
        finished = True
    finally:
        if finished:
            exchange.finish()
        else:
            exchange.abandon()  # the client went away mid-body: this connection cannot be reused
