"""Alembic environment of the entitlements service."""
from alembic import context

from services.entitlements.adapters.orm import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
