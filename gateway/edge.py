"""What the gateway checks before a request may reach a service: the token and the client's rate.

A request without `Authorization` passes anonymously (each service decides what is public: login,
token grant, JWKS, invitation acceptance, reseller applications, payment callbacks). A request with
one must carry a valid access token, else 401 here. The rate limit is per client: the token's `sub`
when there is a valid token, else the client's IP; a bad token is charged to its IP, so a flood of
forged tokens is throttled like any other anonymous traffic.
"""
from __future__ import annotations

import time

from flask import Request

from gateway.ratelimit import RateLimiter
from shared.auth import TokenVerifier, bearer_token
from shared.errors import Problem


def rate_limited(retry_after: int) -> Problem:
    problem = Problem(429, "rate_limited", f"too many requests; retry after {retry_after} s", retry_after=retry_after)
    problem.headers["Retry-After"] = str(retry_after)
    return problem


class VerifiedTokens:
    """Subjects of tokens verified in the last minute (never past their expiry), so a client's every
    request does not pay a signature check. Services verify every token themselves anyway."""

    def __init__(self, verifier: TokenVerifier, *, ttl: float = 60.0, size: int = 10_000) -> None:
        self.verifier = verifier
        self.ttl = ttl
        self.size = size
        self._subjects: dict[str, tuple[str, float]] = {}

    def subject(self, token: str) -> str:
        now = time.time()
        known = self._subjects.get(token)
        if known is not None and known[1] > now:
            return known[0]
        principal = self.verifier.verify(token)
        if len(self._subjects) >= self.size:
            self._subjects = {}
        self._subjects[token] = (principal.sub, min(float(principal.claims["exp"]), now + self.ttl))
        return principal.sub


class Admission:
    def __init__(self, verifier: TokenVerifier, limiter: RateLimiter) -> None:
        self.tokens = VerifiedTokens(verifier)
        self.limiter = limiter

    def admit(self, request: Request) -> None:
        """Raises 401 for a bad token and 429 for a client over its rate; returns for the rest."""
        try:
            token = bearer_token()
            client = f"sub:{self.tokens.subject(token)}" if token else f"ip:{request.remote_addr}"
        except Problem:
            self._charge(f"ip:{request.remote_addr}")
            raise
        self._charge(client)

    def _charge(self, client: str) -> None:
        decision = self.limiter.take(client)
        if not decision.allowed:
            raise rate_limited(decision.retry_after)
