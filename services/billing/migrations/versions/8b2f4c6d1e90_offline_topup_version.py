"""offline top-up version: a review names the version it approves

Revision ID: 8b2f4c6d1e90
Revises: 45c791dc15ba
Create Date: 2026-12-08 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '8b2f4c6d1e90'
down_revision = '45c791dc15ba'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offline_topups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('offline_topups', schema=None) as batch_op:
        batch_op.drop_column('version')
