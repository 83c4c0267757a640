"""dashboard indexes: allocation lists in their order, daily totals newest first per product

Revision ID: 77ec89802115
Revises: 60996edaed84
Create Date: 2026-11-22 09:46:18.341733
"""
from alembic import op

revision = '77ec89802115'
down_revision = '60996edaed84'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocations_tenant'))
        batch_op.create_index('ix_allocations_tenant', ['tenant_id', 'status', 'allocated_at', 'id'], unique=False)

    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.create_index('ix_usage_daily_product_day', ['tenant_id', 'product_code', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_daily_product_day')

    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_allocations_tenant')
        batch_op.create_index(batch_op.f('ix_allocations_tenant'), ['tenant_id', 'status'], unique=False)
