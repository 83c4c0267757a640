"""Links people open: every URL a service writes into a mail or an answer starts at the suite's public URL.

`SUITE_PUBLIC_URL` is where people reach the gateway (e.g. `https://suite.example.com`); unset, it is the
gateway's local address with `SUITE_PORT_OFFSET` added (`http://localhost:8080` without an offset). The
web app lives under it: the tenant portal at `/portal`, the storefront at `/market`.

The pages a link names (the web app serves them; see its README):

| link | page |
|---|---|
| `portal()` | the tenant portal's start (sign-in) |
| `portal("activate", token=…)` | accepting an invitation, setting a password |
| `portal("activate", order_no=…)` | activating an order from the activation mail |
| `payment_page("billing", id)` | `/portal/pay/billing/<id>`: where the payer of an online payment pays (`redirect_url`) |
| `payment_page("marketplace", id)` | `/portal/pay/marketplace/<id>`: the same for a marketplace order or bill repayment |

The payment page drives the provider; with the sandbox it shows `GET /billing/v1/sandbox/pay/<id>` (billing)
and posts the payer's outcome to `POST /<service>/v1/sandbox/pay/<id>` (both services' sandbox APIs).
| `market()` | the storefront (resellers) |
| `market("apply")` | the reseller application form |
"""
from __future__ import annotations

import os
from urllib.parse import quote, urlencode, urlsplit

from shared.settings import GATEWAY_PORT, port_offset

PORTAL_PATH = "/portal"
MARKET_PATH = "/market"


def public_url() -> str:
    """`SUITE_PUBLIC_URL` (no trailing slash), else `http://localhost:<8080 + SUITE_PORT_OFFSET>`."""
    explicit = (os.environ.get("SUITE_PUBLIC_URL") or "").strip()
    if explicit:
        parts = urlsplit(explicit)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"SUITE_PUBLIC_URL must be an http(s) URL without query or fragment, not {explicit!r}")
        return explicit.rstrip("/")
    return f"http://localhost:{GATEWAY_PORT + port_offset()}"


def _link(base: str, prefix: str, segments: tuple[str, ...], query: dict[str, object]) -> str:
    path = "".join("/" + quote(str(segment), safe="") for segment in segments)
    link = f"{base.rstrip('/')}{prefix}{path}"
    pairs = {key: value for key, value in query.items() if value is not None}
    return f"{link}?{urlencode(pairs)}" if pairs else link


def portal(*segments: str, base: str | None = None, **query: object) -> str:
    """A page of the tenant portal: `portal("activate", order_no="X")` → `<public>/portal/activate?order_no=X`."""
    return _link(base or public_url(), PORTAL_PATH, segments, query)


def market(*segments: str, base: str | None = None, **query: object) -> str:
    """A page of the storefront: `market("apply")` → `<public>/market/apply`."""
    return _link(base or public_url(), MARKET_PATH, segments, query)


PAYING_SERVICES = ("billing", "marketplace")


def payment_page(service: str, payment_id: str, base: str | None = None) -> str:
    """Where the payer of an online payment is sent (`redirect_url`): `<public>/portal/pay/<service>/<payment_id>`.

    The service is in the path so the page knows whose sandbox (or provider) the payment belongs to."""
    if service not in PAYING_SERVICES:
        raise ValueError(f"no payment page for {service!r}")
    return portal("pay", service, payment_id, base=base)
