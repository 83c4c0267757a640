"""platform tables: the outbox, inbox, idempotency keys and audit log every service has (written once, in shared/migrations.py)

Revision ID: 3be635390f5e
Revises: 
Create Date: 2026-11-22 08:29:03.746701
"""
from shared.migrations import platform_tables_downgrade, platform_tables_upgrade


revision = '3be635390f5e'
down_revision = None
branch_labels = None
depends_on = None


upgrade = platform_tables_upgrade
downgrade = platform_tables_downgrade
