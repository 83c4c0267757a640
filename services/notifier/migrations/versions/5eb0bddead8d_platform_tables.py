"""platform tables: the outbox, inbox, idempotency keys and audit log every service has (written once, in shared/migrations.py)

Revision ID: 5eb0bddead8d
Revises: 
Create Date: 2026-11-22 08:29:05.781210
"""
from shared.migrations import platform_tables_downgrade, platform_tables_upgrade


revision = '5eb0bddead8d'
down_revision = None
branch_labels = None
depends_on = None


upgrade = platform_tables_upgrade
downgrade = platform_tables_downgrade
