"""`leder backup`: a consistent copy of the embedded SQLite database, taken while the service runs.

SQLite's online backup API (Python's `sqlite3.Connection.backup`) copies the database as one read
transaction sees it: in WAL mode writers carry on meanwhile, and nothing they have not committed is
copied. Copying the file itself would not do: the last commits may still sit in the `-wal` file, and a
file copied while a page is being written can be torn. The copy is written beside the target under a
temporary name, checked (`PRAGMA quick_check`), flushed to disk and only then renamed into place, so a
target that exists is always a whole backup. It holds personal data: it is created readable by its
owner only. PostgreSQL is backed up with its own tools (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from app.core.config import Settings


class BackupRefused(Exception):
    """The backup cannot be taken; the message says why."""


def sqlite_database(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupRefused(
            "leder backup copies the embedded SQLite database; back up PostgreSQL with pg_dump or a base "
            "backup (see 'Backup and restore' in docs/operations.md)"
        )
    database = make_url(settings.sync_database_url).database
    if not database or database == ":memory:":
        raise BackupRefused("the SQLite database is in memory: there is no file to back up")
    return Path(database)


def backup_sqlite(database: Path, target: Path) -> None:
    """Copy `database` to `target` (which must not exist) with the online backup API."""
    if not database.is_file():
        raise BackupRefused(f"no database at {database}")
    if target.exists():
        raise BackupRefused(f"{target} exists; choose a new name (a backup never overwrites another)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private before any byte is written
    try:
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # one step: one consistent snapshot, writers not held up (WAL)
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise BackupRefused(f"the copy failed its integrity check: {verdict}")
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            source.close()
        with partial.open("rb+") as written:
            os.fsync(written.fileno())
        partial.replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
