"""Fixtures of the contract tests; pact-python's usage tracking is switched off (CI has no network to spare)."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


@pytest.fixture(autouse=True)
def _scratch_databases_dropped() -> Iterator[None]:
    """The scratch databases of the services a test made (tests/contract/harness.py) go after it."""
    from tests.contract.harness import release_databases

    yield
    release_databases()
