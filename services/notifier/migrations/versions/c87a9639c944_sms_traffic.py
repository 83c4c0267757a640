"""sms traffic

Revision ID: c87a9639c944
Revises: 10e7293ed379
Create Date: 2026-11-22 09:23:47.306829
"""
from alembic import op
import sqlalchemy as sa


revision = 'c87a9639c944'
down_revision = '10e7293ed379'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('traffic', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('traffic_note', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('traffic_note')
        batch_op.drop_column('traffic')
        batch_op.drop_column('tenant_id')
