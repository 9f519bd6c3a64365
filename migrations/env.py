"""Alembic environment: one sync connection, SQLite-safe batch mode, the app's metadata.

One migrator at a time: every replica may migrate as it starts, so the whole run is one transaction
that first takes a lock, before Alembic reads the current revision. A second migrator waits for the
first to commit, then finds the schema at head and has nothing to do. PostgreSQL: a transaction-level
advisory lock. SQLite: the database's write lock, taken by `BEGIN IMMEDIATE` (its DDL is transactional
once the driver stops managing transactions itself).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Engine, create_engine, event, pool, text
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.core.config import get_settings
from app.core.migrations import MIGRATION_LOCK

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else get_settings().sync_database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# How long a second SQLite migrator waits for the first (PostgreSQL's lock waits without limit).
SQLITE_WAIT_MS = 10 * 60 * 1000


def _engine() -> Engine:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # no implicit transactions: BEGIN comes from below
            dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
            compare_type=True,
            transactional_ddl=True,  # one transaction for the whole run, on SQLite too
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Released at commit, after the new revision is visible to the next migrator's reads.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
