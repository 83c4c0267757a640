"""The security headers of every page and the "back to where you were" check (no open redirect)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.wrappers import Response

# Only our own files run or style the page: no inline script or style, no eval (htmx is configured
# with allowEval/includeIndicatorStyles off, web/templates/base.html), forms post only to us, no framing.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The invitation and activation links carry secrets in their query: never send them on as a Referer.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# The paths of this app a "next" may lead back to.
OWN_PREFIXES = ("/portal", "/market")


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path of this app on this origin, else None.

    Refused: absolute URLs (`https://evil`), scheme-relative ones (`//evil`, `/\\evil`, which
    browsers read as `//evil`), other schemes (`javascript:`), control characters and paths outside
    the portal and the storefront.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    if not any(parts.path == p or parts.path.startswith(p + "/") for p in OWN_PREFIXES):
        return None
    return target


def register(app: Flask) -> None:
    @app.after_request
    def secure_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith(app.static_url_path or "/portal/static"):
            # Pages show a user's data: never kept by a shared cache or the back button after sign-out.
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
