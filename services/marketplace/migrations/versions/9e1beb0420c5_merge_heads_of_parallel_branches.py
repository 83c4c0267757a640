"""merge heads of parallel branches

Revision ID: 9e1beb0420c5
Revises: 9e4f2a6c8b13, a19e0c5d7b21
Create Date: 2026-12-08 00:56:11.488092
"""
from alembic import op
import sqlalchemy as sa


revision = '9e1beb0420c5'
down_revision = ('9e4f2a6c8b13', 'a19e0c5d7b21')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
