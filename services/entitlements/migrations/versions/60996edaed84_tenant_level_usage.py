"""tenant-level usage

Revision ID: 60996edaed84
Revises: 7f4cfda4b2ce
Create Date: 2026-11-22 09:21:10.289153
"""
from alembic import op
import sqlalchemy as sa


revision = '60996edaed84'
down_revision = '7f4cfda4b2ce'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tenant-level traffic (SMS the notifier draws for a tenant) is recorded with a null tax ID.
    with op.batch_alter_table('usage_ledger', schema=None) as batch_op:
        batch_op.alter_column('tax_id',
               existing_type=sa.VARCHAR(length=20),
               nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('usage_ledger', schema=None) as batch_op:
        batch_op.alter_column('tax_id',
               existing_type=sa.VARCHAR(length=20),
               nullable=False)
