"""The database itself: bring its schema to head, back up the embedded SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, settings


def migrate() -> None:
    """Bring the database schema to the latest migration (one migrator at a time; others wait)."""
    import logging

    from app.core.logging import configure_logging
    from app.core.migrations import upgrade_to_head

    config = settings()
    # A deployment's migrate job: its lines go to the same log pipeline as the API's, as JSON.
    configure_logging(config.log_level)
    upgrade_to_head(config, quiet=True)
    logging.getLogger("leder.migrate").info("database at head")


def backup(
    target: Annotated[Path, typer.Argument(dir_okay=False, help="The backup file to write (must not exist).")],
) -> None:
    """Back up the embedded SQLite database while the service runs (SQLite's online backup API).

    PostgreSQL: use pg_dump or base backups instead (docs/operations.md)."""
    from app.core.backup import BackupRefused, backup_sqlite, sqlite_database

    try:
        backup_sqlite(sqlite_database(settings()), target)
    except BackupRefused as exc:
        raise fail(str(exc)) from None
    typer.echo(f"backed up to {target}")
    typer.echo("keep beside it: the data directory's secret_key, and LEDER_AUDIT_CHAIN_KEY if set")
