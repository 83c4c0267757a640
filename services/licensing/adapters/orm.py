"""The licensing service's tables (its database and nobody else's)."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, UniqueConstraint

from shared.db import platform_tables

metadata = MetaData()
platform = platform_tables(metadata)

erp_instances = Table(
    "erp_instances",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("license_type", String(20), nullable=False),
    Column("idc", Boolean, nullable=False),
    Column("serial_invoice_issuing", String(64), nullable=True),
    Column("serial_invoice_receiving", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

enterprises = Table(
    "enterprises",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), ForeignKey("erp_instances.tenant_id"), nullable=False),
    Column("tax_id", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "tax_id", name="uq_enterprises_tenant_tax_id"),
)

licenses = Table(
    "licenses",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("enterprise_id", BigInteger, ForeignKey("enterprises.id"), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("tax_id", String(20), nullable=False),
    Column("service_group", String(40), nullable=False),
    Column("authorization_status", String(20), nullable=False),
    Column("authorized_at", DateTime(timezone=True), nullable=True),
    Column("authorized_by", String(200), nullable=True),
    Column("authorized_by_name", String(200), nullable=True),
    Column("sync_action", String(20), nullable=True),
    Column("sync_status", String(20), nullable=True),
    Column("sync_error", String(80), nullable=True),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("request_id", String(36), nullable=True),
    UniqueConstraint("tenant_id", "tax_id", "service_group", name="uq_licenses_tenant_tax_id_group"),
)
Index("ix_licenses_group_status", licenses.c.tenant_id, licenses.c.service_group, licenses.c.authorization_status)
# An answer to a sync whose license an approved change request moved meanwhile is found by its request id.
Index("ix_licenses_request_id", licenses.c.request_id)

# Read model of entitlements.order.delivered.v1: the seat lines licensed to each tenant (the AA of A/AA).
licensed_seats = Table(
    "licensed_seats",
    metadata,
    Column("order_line_id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False, index=True),
    Column("service_group", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Column("serial_number", String(64), nullable=True),
)
