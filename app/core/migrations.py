"""Alembic, driven from code: `leder migrate` upgrades to head; so do `leder serve`, `leder worker` and
the operator's commands before anything runs, unless `LEDER_MIGRATE_ON_START` is off.

Several may start at once (replicas rolling out): migrations/env.py lets one migrate at a time.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.core.config import Settings, ensure_private_dir

_SOURCE_ROOT = Path(__file__).resolve().parents[2]
# A checkout keeps alembic.ini and migrations/ beside app/; the image installs the package (not
# editable) into site-packages and keeps them in its working directory, /srv/leder.
PROJECT_ROOT = _SOURCE_ROOT if (_SOURCE_ROOT / "alembic.ini").is_file() else Path.cwd()
# The migrators' advisory lock on PostgreSQL: a bigint beyond int4, so it never meets `hashtext()` keys.
MIGRATION_LOCK = 0x6C65_6465_725F_6D69  # "leder_mi"


def alembic_config(settings: Settings) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = settings.sync_database_url
    return config


def head_revision(settings: Settings) -> str:
    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
    assert head is not None, "no migrations found"
    return head


def upgrade_to_head(settings: Settings, *, quiet: bool = False) -> None:
    """Migrate to head. Quiet keeps Alembic's progress lines off the terminal (commands whose output
    is meant for scripts, like `leder users add`, print only their result)."""
    if settings.is_sqlite:
        ensure_private_dir(settings.data_dir)
    config = alembic_config(settings)
    config.attributes["configure_logger"] = not quiet
    command.upgrade(config, "head")


def migrate_on_start(settings: Settings) -> None:
    """What a command does before its work: migrate to head, unless the operator migrates separately."""
    if settings.migrate_on_start:
        upgrade_to_head(settings, quiet=True)
