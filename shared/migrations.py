"""Alembic helpers: every service's `migrations/env.py` calls `run_migrations`, and the suite launcher
and test fixtures call `upgrade(service)` to bring a database to head."""
from __future__ import annotations

from alembic import command
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
