"""platform tables: the outbox, inbox, idempotency keys and audit log every service has (written once, in shared/migrations.py)

Revision ID: c72330b96b13
Revises: 
Create Date: 2026-11-22 08:29:02.254937
"""
from shared.migrations import platform_tables_downgrade, platform_tables_upgrade


revision = 'c72330b96b13'
down_revision = None
branch_labels = None
depends_on = None


upgrade = platform_tables_upgrade
downgrade = platform_tables_downgrade
