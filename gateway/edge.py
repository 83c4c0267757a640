"""What the gateway checks before a request may reach a service: the token and the client's rate.

A request without `Authorization` passes anonymously (each service decides what is public: login,
token grant, JWKS, invitation acceptance, reseller applications, payment callbacks). A request with
one must carry a valid access token, else 401 here. The rate limit is per client: the token's `sub`
when there is a valid token, else the client's IP; a bad token is charged to its IP, so a flood of
forged tokens is throttled like any other anonymous traffic.
"""
from __future__ import annotations

from gateway.ratelimit import RateLimiter
from shared.auth import TokenVerifier, parse_bearer
from shared.errors import Problem


def rate_limited(retry_after: int) -> Problem:
    problem = Problem(429, "rate_limited", f"too many requests; retry after {retry_after} s", retry_after=retry_after)
    problem.headers["Retry-After"] = str(retry_after)
    return problem


class Admission:
    def __init__(self, verifier: TokenVerifier, limiter: RateLimiter) -> None:
        self.verifier = verifier  # it remembers verified tokens for up to 60 s (shared/auth.py)
        self.limiter = limiter

    def admit(self, authorization: str | None, address: str) -> None:
        """Raises 401 for a bad token and 429 for a client over its rate; returns for the rest.

        `authorization` is the request's `Authorization` header (None or "" when absent), `address`
        the client's address.
        """
        try:
            token = parse_bearer(authorization)
            client = f"sub:{self.verifier.verify(token).sub}" if token else f"ip:{address}"
        except Problem:
            self._charge(f"ip:{address}")
            raise
        self._charge(client)

    def _charge(self, client: str) -> None:
        decision = self.limiter.take(client)
        if not decision.allowed:
            raise rate_limited(decision.retry_after)
