"""The client of entitlements' traffic pools: draws one SMS use for a tenant before an SMS is sent.

`POST /entitlements/v1/usage {tenant_id, product_code, units: 1, reference: <message id>}` with
`Idempotency-Key: <message id>`, so however often a message is tried, entitlements deducts once (the
body is the same on every try, which the key requires). The bearer token comes from identity's
client-credentials grant with the notifier's service account and is cached until shortly before it
expires; a 401 drops it and asks once more. Each call has connect and read timeouts; a connection
error, a timeout, 429 or a 5xx is retried a few times with a short pause, since the SMS waits for
the answer. The answer is one of `DrawAnswer`'s outcomes; nothing here raises for a refusal.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests

from services.notifier.domain.traffic import DrawAnswer, DrawOutcome

log = logging.getLogger(__name__)

USAGE_PATH = "/entitlements/v1/usage"
TOKEN_PATH = "/identity/v1/oauth/token"
TOKEN_MARGIN_SECONDS = 60.0


class TrafficClient(Protocol):
    def draw_sms(self, tenant_id: str, message_id: str) -> DrawAnswer: ...


class NoTraffic:
    """The notifier has no service account: nothing is drawn."""

    def draw_sms(self, tenant_id: str, message_id: str) -> DrawAnswer:
        return DrawAnswer(DrawOutcome.NOT_CONFIGURED, "traffic_not_configured")


class _Retry(Exception):
    """This try got no usable answer; another may."""


class ServiceToken:
    """A cached access token of a service account (client-credentials grant at identity)."""

    def __init__(self, session: requests.Session, identity_url: str, client_id: str, client_secret: str, *,
                 timeout: tuple[float, float], monotonic: Callable[[], float] = time.monotonic) -> None:
        self._session = session
        self._url = identity_url.rstrip("/") + TOKEN_PATH
        self._credentials = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._timeout = timeout
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: str | None = None
        self._good_until = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._monotonic() >= self._good_until:
                self._token, lifetime = self._fetch()
                self._good_until = self._monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)
            return self._token

    def forget(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> tuple[str, float]:
        try:
            response = self._session.post(self._url, data=self._credentials, timeout=self._timeout)
        except requests.RequestException as exc:
            raise _Retry(f"identity unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise _Retry(f"identity refused the service token: {response.status_code}")
        body = response.json()
        return body["access_token"], float(body.get("expires_in") or 300)


class HttpTrafficClient:
    """Draws SMS traffic from entitlements over HTTP with the notifier's service account."""

    def __init__(
        self,
        identity_url: str,
        entitlements_url: str,
        client_id: str,
        client_secret: str,
        product_code: str,
        *,
        timeout: tuple[float, float] = (2.0, 5.0),
        tries: int = 3,
        pause: float = 0.2,
        session: requests.Session | None = None,
    ) -> None:
        self._session = session or requests.Session()
        self._usage_url = entitlements_url.rstrip("/") + USAGE_PATH
        self._token = ServiceToken(self._session, identity_url, client_id, client_secret, timeout=timeout)
        self.product_code = product_code
        self._timeout = timeout
        self._tries = tries
        self._pause = pause

    def draw_sms(self, tenant_id: str, message_id: str) -> DrawAnswer:
        body = {"tenant_id": tenant_id, "product_code": self.product_code, "units": 1, "reference": message_id}
        reason = "no answer"
        for attempt in range(self._tries):
            if attempt:
                time.sleep(self._pause * 2 ** (attempt - 1))
            try:
                return self._try(body, message_id)
            except _Retry as retry:
                reason = str(retry)
        log.warning("SMS traffic not drawn: entitlements unavailable",
                    extra={"fields": {"message_id": message_id, "tries": self._tries, "error": reason}})
        return DrawAnswer(DrawOutcome.UNAVAILABLE, "traffic_unavailable")

    def _try(self, body: dict[str, Any], message_id: str) -> DrawAnswer:
        token = self._token.get()
        try:
            response = self._session.post(self._usage_url, json=body, timeout=self._timeout,
                                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": message_id})
        except requests.RequestException as exc:
            raise _Retry(f"entitlements unreachable: {type(exc).__name__}") from exc
        if response.status_code == 201:
            return DrawAnswer(DrawOutcome.DRAWN, remaining=response.json().get("remaining"))
        if response.status_code == 401:
            self._token.forget(token)
            raise _Retry("entitlements refused the token")
        if response.status_code in (409, 422):
            return DrawAnswer(DrawOutcome.REFUSED, _refusal(response))
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"entitlements answered {response.status_code}")
        log.warning("SMS traffic not drawn: entitlements answered unexpectedly",
                    extra={"fields": {"message_id": message_id, "status": response.status_code}})
        return DrawAnswer(DrawOutcome.UNAVAILABLE, f"traffic_http_{response.status_code}")


def _refusal(response: requests.Response) -> str:
    """The problem's code (`insufficient_quota`, …); a product entitlements does not know is `unknown_product`."""
    try:
        problem = response.json()
    except ValueError:
        return f"traffic_http_{response.status_code}"
    if "product_code" in (problem.get("errors") or {}):
        return "unknown_product"
    return str(problem.get("code") or f"traffic_http_{response.status_code}")[:60]
