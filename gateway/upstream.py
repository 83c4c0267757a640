"""Forwarding one request to its service and the service's answer back to the client.

One urllib3 pool manager per process carries every forwarded request (keep-alive connections to each
service, sized for the worker's threads). It is urllib3, which `requests` wraps, rather than a
`requests.Session`: requests spends ~0.5 ms of CPU per call preparing and wrapping (see README), as much
as a whole cheap service request, and has nothing the gateway needs (no cookies, no redirects, no
environment proxies are wanted here). Bodies stream in both directions, so a 10 MiB upload or
an XLSX export never sits whole in memory; small bodies are read in one go because that is cheaper.
The gateway never retries a request that reached a service (it could repeat a payment); it retries
only a connection that could not be opened.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import quote

import urllib3
from flask import Request, Response
from opentelemetry import propagate, trace
from urllib3.util.retry import Retry

from gateway import metrics
from shared.errors import Problem

CHUNK = 64 * 1024
SMALL_BODY = 256 * 1024

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
)
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


class _ChunkedBody:
    """A body of unknown length (chunked transfer encoding), cut off once it passes the limit."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        while chunk := self._stream.read(CHUNK):
            received += len(chunk)
            if received > self._limit:
                raise BodyTooLarge
            yield chunk


def request_body(request: Request, limit: int) -> bytes | Iterable[bytes] | None:
    """What to send upstream: None (no body), the bytes of a small body, or a streaming body."""
    length = request.content_length
    if length is not None:
        if length > limit:
            raise body_too_large(limit)
        if length <= SMALL_BODY:
            return request.stream.read() if length else (b"" if request.method not in ("GET", "HEAD") else None)
        return _KnownLengthBody(request.stream, length)
    if request.environ.get("wsgi.input_terminated"):
        return _ChunkedBody(request.stream, limit)
    return None


def raw_target(environ: Mapping[str, Any]) -> str:
    """The path as the client sent it (so `%2F` inside an id stays encoded) and the query string."""
    path = None
    for key in ("RAW_URI", "REQUEST_URI"):
        uri = environ.get(key)
        if isinstance(uri, str) and uri.startswith("/"):
            path = uri.partition("?")[0]
            break
    if path is None:
        path = quote(environ.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def forwarded_headers(request: Request, request_id: str, peer: str) -> dict[str, str]:
    """The client's end-to-end headers plus the forwarding headers the gateway is responsible for."""
    connection_tokens = {t.strip().lower() for t in request.headers.get("Connection", "").split(",") if t.strip()}
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered in HOP_BY_HOP or lowered in SET_BY_GATEWAY or lowered in connection_tokens:
            continue
        headers[name] = value
    earlier = request.headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{earlier}, {peer}" if earlier else peer
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.host
    headers["X-Request-ID"] = request_id
    return headers


# Retrying is safe only for a connection that was never opened: nothing reached the service.
NEVER_RESEND = Retry(total=1, connect=1, read=False, redirect=0, status=0, other=0, raise_on_status=False)


class ServiceUnavailable(Exception):
    """A service did not answer a gateway's own request (probe, OpenAPI) usefully; `status` if it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceProxy:
    """Sends a client's request to a service and turns the answer (or the failure) into a response."""

    def __init__(self, service_urls: Mapping[str, str], *, connect_timeout: float, read_timeout: float, pool_size: int) -> None:
        self.service_urls = dict(service_urls)
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.pools = urllib3.PoolManager(num_pools=max(10, len(self.service_urls)), maxsize=pool_size, block=False)
        self._tracer = trace.get_tracer("gateway")

    def forward(self, service: str, request: Request, body: bytes | Iterable[bytes] | None, headers: dict[str, str]) -> Response:
        method = request.method
        pool = self.pools.connection_from_url(self.service_urls[service])
        if isinstance(body, _KnownLengthBody):
            headers["Content-Length"] = str(len(body))
        with self._tracer.start_as_current_span(f"{method} {service}", kind=trace.SpanKind.CLIENT) as span:
            span.set_attribute("peer.service", service)
            propagate.inject(headers)
            started = time.perf_counter()
            try:
                upstream = pool.urlopen(
                    method,
                    raw_target(request.environ),
                    body=body,
                    headers=headers,
                    retries=NEVER_RESEND,
                    redirect=False,
                    assert_same_host=False,
                    timeout=self.timeout,
                    preload_content=False,
                    decode_content=False,
                    chunked=isinstance(body, _ChunkedBody),
                )
            except urllib3.exceptions.HTTPError as exc:
                span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
                raise _failure(service, exc) from exc
            finally:
                metrics.UPSTREAM_SECONDS.labels(service).observe(time.perf_counter() - started)
            span.set_attribute("http.response.status_code", upstream.status)
        return _client_response(upstream, method)

    def get_json(self, url: str, timeout: urllib3.Timeout) -> Any:
        """GET a JSON document from a service (readiness, OpenAPI); raises ServiceUnavailable."""
        try:
            response = self.pools.request("GET", url, timeout=timeout, retries=False, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            raise ServiceUnavailable(str(exc)) from exc
        if response.status != 200:
            raise ServiceUnavailable(f"{url} answered {response.status}", response.status)
        try:
            return json.loads(response.data)
        except ValueError as exc:
            raise ServiceUnavailable(f"{url} is not JSON") from exc


def _failure(service: str, exc: urllib3.exceptions.HTTPError) -> Problem:
    reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    if isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(reason, urllib3.exceptions.NewConnectionError):
        return Problem(504, "gateway_timeout", f"the {service} service did not answer in time", service=service)
    return Problem(502, "bad_gateway", f"the {service} service is unavailable", service=service)


def _client_response(upstream: urllib3.BaseHTTPResponse, method: str) -> Response:
    connection_tokens = {t.strip().lower() for t in upstream.headers.get("Connection", "").split(",") if t.strip()}
    headers = [(k, v) for k, v in upstream.headers.iteritems() if k.lower() not in HOP_BY_HOP and k.lower() not in connection_tokens]
    length = upstream.headers.get("Content-Length")
    if method == "HEAD" or upstream.status in (204, 304) or (length is not None and int(length) <= SMALL_BODY):
        content = upstream.read()
        upstream.release_conn()
        response = Response(content, status=upstream.status, headers=headers)
        if method == "HEAD" and length is not None:
            response.headers["Content-Length"] = length
    else:
        response = Response(_stream(upstream), status=upstream.status, headers=headers, direct_passthrough=True)
    if "Content-Type" not in upstream.headers:
        del response.headers["Content-Type"]  # werkzeug would otherwise claim text/html
    return response


def _stream(upstream: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    finished = False
    try:
        yield from upstream.stream(CHUNK)
        finished = True
    finally:
        if not finished:
            upstream.close()  # the client went away mid-body: this connection cannot be reused
        upstream.release_conn()
