"""sandbox notices: the sandbox provider's outcomes awaiting delivery by the worker

Revision ID: 5b0d1c7e9a42
Revises: 45c791dc15ba
Create Date: 2026-12-08 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5b0d1c7e9a42'
down_revision = '45c791dc15ba'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sandbox_notices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('payment_id', sa.String(length=36), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_status', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sandbox_notices_payment_id'), 'sandbox_notices', ['payment_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sandbox_notices_payment_id'), table_name='sandbox_notices')
    op.drop_table('sandbox_notices')
