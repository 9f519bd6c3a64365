"""The schema comes only from migrations; the committed OpenAPI spec is what the app serves."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from app.core.migrations import PROJECT_ROOT, alembic_config, head_revision
from app.main import create_app
from tests.conftest import POSTGRES_URL, make_settings


def test_committed_openapi_spec_matches_the_app(settings):
    committed = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
    served = create_app(settings).openapi()
    assert committed == served, "run `leder openapi` and commit openapi/openapi.json"


def test_operation_ids_are_the_route_names(settings):
    spec = create_app(settings).openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert "create_notification" in ids and "get_notification" in ids
    assert len(ids) == len(set(ids))


def scratch_database_url() -> str | None:
    """A PostgreSQL database of this test's own, so a failure here cannot break the shared test schema."""
    if not POSTGRES_URL:
        return None
    url = make_url(POSTGRES_URL)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{url.database}_migrations"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_migrations_upgrade_downgrade_and_upgrade_again(tmp_path: Path):
    settings = make_settings(tmp_path, database_url=scratch_database_url())
    config = alembic_config(settings)
    config.attributes["configure_logger"] = False
    engine = create_engine(settings.sync_database_url)
    try:
        command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables

        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head_revision(settings)
            # `alembic check`: the models and the migrations describe the same schema.
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata
            )
        assert diff == []
    finally:
        engine.dispose()
