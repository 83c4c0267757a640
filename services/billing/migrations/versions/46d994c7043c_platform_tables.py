"""platform tables: the outbox, inbox, idempotency keys and audit log every service has (written once, in shared/migrations.py)

Revision ID: 46d994c7043c
Revises: 
Create Date: 2026-11-22 08:29:04.439127
"""
from shared.migrations import platform_tables_downgrade, platform_tables_upgrade


revision = '46d994c7043c'
down_revision = None
branch_labels = None
depends_on = None


upgrade = platform_tables_upgrade
downgrade = platform_tables_downgrade
