"""Alembic helpers: every service's `migrations/env.py` calls `run_migrations`, and the suite launcher
and test fixtures call `upgrade(service)` to bring a database to head."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

from shared.settings import repo_root


def alembic_config(service: str, url: str) -> Config:
    folder = repo_root() / "services" / service / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["database_url"] = url
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


def run_migrations(context: object, target_metadata: MetaData) -> None:
    """Body of a service's migrations/env.py (online mode only: we always have a database)."""
    config = context.config  # type: ignore[attr-defined]
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(  # type: ignore[attr-defined]
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
        )
        with context.begin_transaction():  # type: ignore[attr-defined]
            context.run_migrations()  # type: ignore[attr-defined]
        connection.commit()


def new_revision(service: str, message: str) -> None:
    """Autogenerate a migration from the difference between the models and a scratch database at head
    (on TEST_POSTGRES_URL's server, or an embedded one)."""
    from shared.testkit import TemporaryPostgres, postgres_admin_url

    admin, reason = postgres_admin_url()
    if admin is None:
        raise SystemExit(reason)
    scratch = TemporaryPostgres(admin).create()
    try:
        upgrade(service, scratch.url)
        command.revision(alembic_config(service, scratch.url), message=message, autogenerate=True)
    finally:
        scratch.drop()


# ---- the platform tables' migration ----------------------------------------------------------------
# Every service's first revision (`<rev>_platform_tables.py`) is these two functions: the outbox, inbox,
# idempotency-key and audit tables of shared/db.py `platform_tables`, written once here.


def platform_tables_upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_org_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=120), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=False),
        sa.Column("target_id", sa.String(length=120), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "id"], unique=False)


def platform_tables_downgrade() -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")

def main(argv: list[str]) -> None:
    """`python -m shared.migrations SERVICE...` upgrades; `... revision SERVICE MESSAGE` autogenerates."""
    from shared.settings import database_url

    if argv[:1] == ["revision"]:
        new_revision(argv[1], argv[2])
        return
    for service in argv:
        upgrade(service, database_url(service))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
