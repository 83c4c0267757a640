"""Alembic environment of the licensing service."""
from alembic import context

from services.licensing.adapters.orm import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
