"""Alembic environment of the billing service."""
from alembic import context

from services.billing.adapters.orm import metadata
from shared.migrations import run_migrations

run_migrations(context, metadata)
