"""The gateway's server span: one per proxied request, continuing the client's trace.

A small WSGI middleware instead of FlaskInstrumentor: the instrumentor collects a dozen attributes,
rebuilds the full URL and wraps `start_response`, which costs ~0.3 ms of CPU per request — as much as
the rest of the proxy path (see the README). This span carries what a trace viewer needs (method,
route, path, status) and is the parent the services' spans hang under, since `propagate.inject`
writes its context into the forwarded request. The gateway's own endpoints are not traced.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from shared import tracing

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

UNTRACED = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")


def _route(path: str) -> str:
    """`/billing/v1/devices/42` → `/billing/v1/…`: low-cardinality span names."""
    service = path[1:].partition("/")[0]
    return f"/{service}/v1/…"


class ServerSpans:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(UNTRACED):
            return self.app(environ, start_response)
        # the services' server span (shared.tracing): the caller's trace continued, recorded only when exported
        span, token = tracing.start_server_span(environ, environ.get("REQUEST_METHOD", "GET"), _route(path), path)
        status: list[int] = []

        def traced_start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(int(line[:3]))
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, traced_start_response)
        finally:
            tracing.end_server_span(span, token, status[-1] if status else None)
