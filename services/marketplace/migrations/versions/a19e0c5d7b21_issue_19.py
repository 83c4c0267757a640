"""issue 19: channel users follow identity (status, phone, last sign-in, summary time); payment refunds; rebate adjustments

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
    op.create_table('payment_refunds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('payment_id', sa.String(length=36), nullable=False),
    sa.Column('reseller_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=True),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('refund_ref', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refunded_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payment_id')
    )
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refunds_reseller_id'), ['reseller_id'], unique=False)
    with op.batch_alter_table('rebate_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rebate_entries', schema=None) as batch_op:
        batch_op.drop_column('created_by')
        batch_op.drop_column('reason')
    op.drop_table('payment_refunds')
    with op.batch_alter_table('channel_users', schema=None) as batch_op:
        batch_op.drop_column('identity_as_of')
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('phone')
        batch_op.drop_column('status')
