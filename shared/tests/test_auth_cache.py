"""The verifier's cache of verified tokens: bounded, at most `cache_seconds`, never past a token's expiry."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from shared import auth
from shared.auth import JwksCache, TokenVerifier
from shared.errors import Problem
from shared.testkit import TokenFactory


class CountingVerifier(TokenVerifier):
    """Counts the signature checks actually made."""

    checks = 0

    def _verify(self, token: str) -> tuple[auth.Principal, str, Any]:
        self.checks += 1
        return super()._verify(token)


def _verifier(tokens: TokenFactory, **options: Any) -> CountingVerifier:
    return CountingVerifier(JwksCache(tokens.jwks), issuer=tokens.issuer, audience=tokens.audience, leeway=0, **options)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The wall clock of the cache (shared.auth's `time.time`); PyJWT keeps the real one."""
    import time

    now = [time.time()]
    monkeypatch.setattr(auth.time, "time", lambda: now[0])
    return now


def test_a_verified_token_is_not_checked_again(tokens: TokenFactory) -> None:
    verifier = _verifier(tokens)
    token = tokens.token(sub="u-1", roles=("tenant_admin",))

    first, second = verifier.verify(token), verifier.verify(token)

    assert verifier.checks == 1
    assert second == first and second.sub == "u-1" and second.roles == frozenset({"tenant_admin"})


def test_a_refused_token_is_refused_every_time(tokens: TokenFactory) -> None:
    verifier = _verifier(tokens)
    forged = TokenFactory().token()

    for _ in range(2):
        with pytest.raises(Problem):
            verifier.verify(forged)
    assert verifier.checks == 2


def test_the_cache_forgets_a_token_after_cache_seconds(tokens: TokenFactory, clock: list[float]) -> None:
    verifier = _verifier(tokens, cache_seconds=60)
    token = tokens.token(ttl=900)
    verifier.verify(token)

    clock[0] += 59
    verifier.verify(token)
    assert verifier.checks == 1
    clock[0] += 2
    verifier.verify(token)
    assert verifier.checks == 2


def test_a_cached_token_is_never_used_past_its_expiry(tokens: TokenFactory, clock: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = _verifier(tokens, cache_seconds=60)
    token = tokens.token(ttl=10)
    verifier.verify(token)

    clock[0] += 11  # past exp, well within the 60 s: the token must be checked again, and PyJWT refuses it

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(clock[0], tz)

    monkeypatch.setattr("jwt.api_jwt.datetime", Later)
    with pytest.raises(Problem) as refused:
        verifier.verify(token)
    assert refused.value.code == "token_expired"
    assert verifier.checks == 2


def test_the_cache_is_bounded(tokens: TokenFactory) -> None:
    verifier = _verifier(tokens, cache_size=3)
    for n in range(10):
        verifier.verify(tokens.token(sub=f"u-{n}"))

    assert len(verifier._verified) <= 3


def test_cache_can_be_switched_off(tokens: TokenFactory) -> None:
    verifier = _verifier(tokens, cache_seconds=0)
    token = tokens.token()
    verifier.verify(token)
    verifier.verify(token)

    assert verifier.checks == 2


def test_a_cached_token_stops_when_its_key_leaves_the_published_set(tokens: TokenFactory) -> None:
    old, new = tokens, TokenFactory()
    published = {"keys": old.jwks()["keys"]}
    verifier = CountingVerifier(JwksCache(lambda: published, min_refetch_interval=0), issuer=old.issuer, audience=old.audience)
    old_token = old.token()
    verifier.verify(old_token)
    verifier.verify(old_token)
    assert verifier.checks == 1

    published["keys"] = new.jwks()["keys"]  # the old key is rotated out
    verifier.verify(new.token())  # an unknown kid makes the verifier fetch the new set

    with pytest.raises(Problem) as refused:
        verifier.verify(old_token)
    assert refused.value.code == "invalid_token"


def test_the_key_set_is_fetched_again_after_jwks_cache_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWKS_CACHE_SECONDS", "0.05")
    tokens = TokenFactory()
    fetched = []

    def fetch() -> dict[str, Any]:
        fetched.append(time.monotonic())
        return tokens.jwks()

    cache = JwksCache(fetch, min_refetch_interval=0)
    kid = tokens.jwks()["keys"][0]["kid"]
    assert cache.key(kid) is not None and cache.key(kid) is not None
    assert len(fetched) == 1  # within the period: the set fetched once serves every lookup
    time.sleep(0.06)
    assert cache.key(kid) is not None
    assert len(fetched) == 2  # after it: fetched again, so a key identity dropped is gone within the period
