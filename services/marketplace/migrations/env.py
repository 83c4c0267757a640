"""Alembic environment of the marketplace service."""
from alembic import context

from services.marketplace.adapters.orm import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
