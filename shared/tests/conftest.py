"""Fixtures for the platform package's own tests: a tiny service schema with a ledger table."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table

from shared.db import PlatformTables, make_engine, make_session_factory, platform_tables


@dataclass
class Schema:
    metadata: MetaData
    platform: PlatformTables
    ledger: Table


def make_schema() -> Schema:
    metadata = MetaData()
    ledger = Table(
        "ledger",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("amount", Integer, nullable=False),
    )
    return Schema(metadata, platform_tables(metadata), ledger)


@pytest.fixture()
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def schema(engine: Engine) -> Schema:
    schema = make_schema()
    schema.metadata.create_all(engine)
    return schema


@pytest.fixture()
def session_factory(engine: Engine):  # type: ignore[no-untyped-def]
    return make_session_factory(engine)
