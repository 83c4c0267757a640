"""Connection pools are sized from the environment, so every process of the suite fits the server's max_connections."""
from __future__ import annotations

import pytest

from shared.db import make_engine

URL = "postgresql+psycopg://suite@127.0.0.1:1/none"  # never connected to: the pool is only configured


def test_postgres_pools_default_to_five_kept_and_ten_more_under_bursts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    pool = make_engine(URL).pool
    assert pool.size() == 5
    assert pool._max_overflow == 10  # noqa: SLF001 - QueuePool exposes no getter for it


def test_postgres_pools_follow_db_pool_size_and_db_max_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "1")
    pool = make_engine(URL).pool
    assert pool.size() == 2
    assert pool._max_overflow == 1  # noqa: SLF001
