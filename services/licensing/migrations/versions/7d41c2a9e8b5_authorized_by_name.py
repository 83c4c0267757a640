"""the authorizer's name beside the id

Revision ID: 7d41c2a9e8b5
Revises: 3222563e1e76
Create Date: 2026-12-08 00:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '7d41c2a9e8b5'
down_revision = '3222563e1e76'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authorized_by_name', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('licenses', schema=None) as batch_op:
        batch_op.drop_column('authorized_by_name')
