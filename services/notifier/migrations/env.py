"""Alembic environment of the notifier service."""
from alembic import context

from services.notifier.adapters.orm import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
