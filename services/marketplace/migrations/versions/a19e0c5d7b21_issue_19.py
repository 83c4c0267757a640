"""issue 19: channel users follow identity (status, phone, last sign-in, summary time)

Revision ID: a19e0c5d7b21
Revises: 7d3a9e5b1c20
Create Date: 2026-12-07 23:59:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a19e0c5d7b21'
down_revision = '7d3a9e5b1c20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='invited'))
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('identity_as_of', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel_users', schema=None) as batch_op:
        batch_op.drop_column('identity_as_of')
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('phone')
        batch_op.drop_column('status')
