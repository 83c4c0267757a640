"""Integration fixtures: the same app and world as the unit tests, on a fresh PostgreSQL database."""

import pytest

from services.billing.config import SERVICE
from shared.migrations import upgrade


@pytest.fixture()
def database_url(postgres_url: str) -> str:
    upgrade(SERVICE, postgres_url)
    return postgres_url
