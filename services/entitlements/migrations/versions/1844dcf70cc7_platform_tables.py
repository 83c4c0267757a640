"""platform tables: the outbox, inbox, idempotency keys and audit log every service has (written once, in shared/migrations.py)

Revision ID: 1844dcf70cc7
Revises: 
Create Date: 2026-11-22 08:29:03.021059
"""
from shared.migrations import platform_tables_downgrade, platform_tables_upgrade


revision = '1844dcf70cc7'
down_revision = None
branch_labels = None
depends_on = None


upgrade = platform_tables_upgrade
downgrade = platform_tables_downgrade
