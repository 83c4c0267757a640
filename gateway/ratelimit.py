"""Per-client token buckets: `rate` tokens per second refill a bucket of `burst`; a request takes one.

`LocalBuckets` lives in one process (each server worker process has its own, so the effective limit is
workers × rate). `RedisBuckets` keeps the buckets in Redis so every worker and every gateway replica
draws from the same one; when Redis cannot be reached it falls back to the local buckets rather
than refusing traffic, and says so in the log.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


class RateLimiter(Protocol):
    def take(self, client: str) -> Decision: ...


def _retry_after(missing: float, rate: float) -> int:
    return max(1, math.ceil(missing / rate))


class LocalBuckets:
    """Token buckets in this process's memory, pruned of full (idle) buckets when they pile up."""

    MAX_CLIENTS = 50_000

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> Decision:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                decision = Decision(True)
            else:
                self._buckets[client] = (tokens, now)
                decision = Decision(False, _retry_after(1.0 - tokens, self.rate))
            if len(self._buckets) > self.MAX_CLIENTS:
                self._forget_idle(now)
        return decision

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


# Refill and take in one atomic step, on Redis's clock so that every process agrees on "now".
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Token buckets shared through Redis (one hash per client, expiring once it would be full)."""

    def __init__(self, redis_url: str, rate: float, burst: int, *, prefix: str = "gateway:ratelimit:") -> None:
        import redis

        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self._client = redis.Redis.from_url(redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self._script = self._client.register_script(_TAKE_SCRIPT)
        self._fallback = LocalBuckets(rate, burst)
        self._last_warning = 0.0

    def take(self, client: str) -> Decision:
        import redis

        try:
            allowed, tokens = self._script(keys=[self.prefix + client], args=[self.rate, self.burst])
        except redis.RedisError:
            self._warn_fallback()
            return self._fallback.take(client)
        if int(allowed):
            return Decision(True)
        return Decision(False, _retry_after(1.0 - float(tokens), self.rate))

    def _warn_fallback(self) -> None:
        now = time.monotonic()
        if now - self._last_warning > 30:
            self._last_warning = now
            log.warning("rate limiter: Redis unreachable, limiting per process meanwhile")


def build_limiter(rate: float, burst: int, redis_url: str | None) -> RateLimiter:
    if redis_url:
        return RedisBuckets(redis_url, rate, burst)
    return LocalBuckets(rate, burst)
