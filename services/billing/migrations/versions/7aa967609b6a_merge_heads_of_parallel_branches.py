"""merge heads of parallel branches

Revision ID: 7aa967609b6a
Revises: 5b0d1c7e9a42, 8b2f4c6d1e90
Create Date: 2026-12-08 00:56:11.313332
"""
from alembic import op
import sqlalchemy as sa


revision = '7aa967609b6a'
down_revision = ('5b0d1c7e9a42', '8b2f4c6d1e90')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
