"""solution search: pg_trgm GIN index (where the server has pg_trgm; else a plain substring scan)

Revision ID: 7d3a9e5b1c20
Revises: c4fc939c6bfc
Create Date: 2026-11-22 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7d3a9e5b1c20'
down_revision = 'c4fc939c6bfc'
branch_labels = None
depends_on = None


def _trigram_available(bind) -> bool:
    return bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first() is not None


def upgrade() -> None:
    bind = op.get_bind()
    if not _trigram_available(bind):
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX IF NOT EXISTS ix_solutions_search_trgm ON solutions USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_solutions_search_trgm")
