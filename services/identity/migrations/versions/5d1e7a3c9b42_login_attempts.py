"""login attempts: counted atomically per throttle key and window

Revision ID: 5d1e7a3c9b42
Revises: bf51048d92c0
Create Date: 2026-12-08 00:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5d1e7a3c9b42'
down_revision = 'bf51048d92c0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('throttle_key', sa.String(length=300), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('throttle_key')
    )


def downgrade() -> None:
    op.drop_table('login_attempts')
