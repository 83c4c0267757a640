"""The proxy path as a plain WSGI app: `/<service>/v1[/...]` of a known service never enters Flask.

A proxied request is the gateway's whole job and its cost is what the overhead goal measures. Flask's
request context, URL map, before/after hooks and `Response` objects cost ~0.1–0.15 ms of CPU per
request, about a fifth of the gateway's own share (profile in the README). This app does the same
steps straight on the WSGI environ — request id, correlation id, token and rate limit, body limit,
forwarding headers, forwarding, metrics, the 502/504 warning — and hands every other request
(the gateway's own endpoints, unknown services, other paths and methods) to the Flask app unchanged.
Failures are the same problem+json answers the Flask app gives.
"""
from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable
from typing import Any

from gateway import metrics
from gateway.edge import Admission
from gateway.upstream import BodyTooLarge, ServiceProxy, body_too_large, forwarded_headers, request_body
from shared import tracing
from shared.errors import PROBLEM_CONTENT_TYPE, Problem

log = logging.getLogger("gateway.app")

PROXIED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The web app (web/) behind the gateway, on the API's origin: the portal, its static files, the storefront.
WEB = "web"
WEB_PREFIXES = ("/portal", "/market")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_STATUS_LINES = {
    400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found", 413: "413 Payload Too Large",
    429: "429 Too Many Requests", 500: "500 Internal Server Error", 502: "502 Bad Gateway", 504: "504 Gateway Timeout",
}


def request_id(offered: str | None) -> str:
    """The client's X-Request-ID when it is a sane token, else a fresh one (32 hex characters).

    Not a secret, so it comes from `random` (no `os.urandom` system call per request as `uuid4` makes).
    """
    if offered and len(offered) <= 128 and offered.isprintable() and " " not in offered:
        return offered
    return f"{random.getrandbits(128):032x}"


def proxied_service(path: str, services: Any) -> str | None:
    """The service of `/<service>/v1` or `/<service>/v1/<rest>` (rest not empty, as Flask's `<path:rest>`)."""
    service, _, rest = path[1:].partition("/")
    if service in services and (rest == "v1" or (rest.startswith("v1/") and len(rest) > 3 and rest[3] != "/")):
        return service
    return None


def web_page(path: str) -> bool:
    """`/portal`, `/market` and the paths under them belong to the web app."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in WEB_PREFIXES)


class ProxyPath:
    def __init__(self, fallback: WsgiApp, proxy: ServiceProxy, admission: Admission, max_body_bytes: int) -> None:
        self.fallback = fallback
        self.proxy = proxy
        self.admission = admission
        self.max_body_bytes = max_body_bytes
        self.services = frozenset(proxy.service_urls) - {WEB}
        self.web = WEB in proxy.service_urls

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        service = proxied_service(path, self.services) if method in PROXIED_METHODS else None
        if service is None and self.web and method in PROXIED_METHODS and web_page(path):
            service = WEB
        if service is None:
            return self.fallback(environ, start_response)
        rid = request_id(environ.get("HTTP_X_REQUEST_ID"))
        tracing.set_correlation_id(environ.get("HTTP_X_CORRELATION_ID") or rid)
        try:
            address = environ.get("REMOTE_ADDR", "")
            # Pages are anonymous at the edge (the web app keeps its own sessions): rate-limited per address.
            self.admission.admit(None if service == WEB else environ.get("HTTP_AUTHORIZATION"), address)
            body = request_body(environ, self.max_body_bytes)
            peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or address
            headers = forwarded_headers(environ, rid, peer)
            try:
                answer = self.proxy.forward(service, method, environ, body, headers)
            except BodyTooLarge:
                raise body_too_large(self.max_body_bytes) from None
        except Problem as problem:
            return self._problem(environ, start_response, service, method, rid, problem)
        except Exception:
            log.exception("proxying to %s failed", service, extra={"fields": {"request_id": rid}})
            problem = Problem(500, "internal_error", "an unexpected error occurred")
            return self._problem(environ, start_response, service, method, rid, problem)
        metrics.count_request(service, method, answer.status)
        answer.headers.append(("X-Request-ID", rid))
        start_response(answer.status_line, answer.headers)
        return answer.body

    def _problem(
        self, environ: dict[str, Any], start_response: Callable[..., Any], service: str, method: str, rid: str, problem: Problem
    ) -> Iterable[bytes]:
        if service == WEB and "text/html" in environ.get("HTTP_ACCEPT", ""):
            content, content_type = _page_unavailable(problem), "text/html; charset=utf-8"
        else:
            body = problem.to_dict()
            body["instance"] = environ.get("PATH_INFO", "")  # no Flask request here (nor a stale one of a test client)
            body.update(problem.extra)
            content, content_type = json.dumps(body, ensure_ascii=False).encode(), PROBLEM_CONTENT_TYPE
        headers = [("Content-Type", content_type), ("Content-Length", str(len(content))), *problem.headers.items()]
        headers.append(("X-Request-ID", rid))
        status = problem.status
        metrics.count_request(service, method, status)
        if status in (502, 504):
            log.warning("service %s failed: %s", service, status, extra={"fields": {"request_id": rid}})
        start_response(_STATUS_LINES.get(status, f"{status} {problem.title}"), headers)
        return [content] if method != "HEAD" else []  # a list: granian writes it in one go


def _page_unavailable(problem: Problem) -> bytes:
    """What a browser shows when the web app is down or slow (a page, not problem+json), in both languages."""
    waited = "did not answer in time" if problem.status == 504 else "cannot be reached"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{problem.status}</title></head><body><main><h1>页面暂时无法访问</h1>'
        "<p>门户服务暂时无法访问，请稍后刷新页面。</p>"
        f'<p lang="en">The portal {waited} right now. Reload the page in a moment.</p></main></body></html>'
    ).encode()
