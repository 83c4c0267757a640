"""service clients

Revision ID: bf51048d92c0
Revises: 00157cb8e11e
Create Date: 2026-11-22 09:19:38.405695
"""
from alembic import op
import sqlalchemy as sa


revision = 'bf51048d92c0'
down_revision = '00157cb8e11e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_clients',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('service_clients')
