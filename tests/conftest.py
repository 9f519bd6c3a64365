"""Test databases are built by running the migrations, never create_all.

SQLite (default): migrated once into a template file, copied fresh for every test.
PostgreSQL (LEDER_TEST_DATABASE_URL=postgresql+psycopg://...): migrated once, truncated before every test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.core.clock import FrozenClock
from app.core.config import Settings
from app.core.migrations import upgrade_to_head
from app.main import create_app
from tests.factories import World

POSTGRES_URL = os.environ.get("LEDER_TEST_DATABASE_URL")

# CI runs the same examples every time, so a failure there is one anyone can reproduce, and a mutant is caught
# (or missed) the same way on every run. Developers' runs keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")
TEST_SECRET = "test-signing-key-that-is-long-enough-for-hs256-0123456789"
# A Monday in spring, well away from the clock changes; tests that need other moments move the clock.
START = datetime(2025, 3, 17, 10, 0, tzinfo=UTC)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": POSTGRES_URL,
        "secret_key": TEST_SECRET,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("template")
    settings = make_settings(directory)
    if POSTGRES_URL:
        reset_postgres_schema(POSTGRES_URL)
    upgrade_to_head(settings)
    return directory


@pytest.fixture
def settings(template_dir: Path, tmp_path: Path) -> Settings:
    if POSTGRES_URL:
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        shutil.copy(template_dir / "leder.db", tmp_path / "leder.db")
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def api(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, clock)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.app = application  # type: ignore[attr-defined]
        yield client
    await application.state.engine.dispose()


@pytest.fixture
def world(api: httpx.AsyncClient, settings: Settings, clock: FrozenClock) -> World:
    return World(api.app, settings, clock)  # type: ignore[attr-defined]


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return (parsed.set(database=database) if database else parsed).render_as_string(hide_password=False)


@contextmanager
def scratch_postgres_database(suffix: str) -> Iterator[str]:
    """A new, empty database beside the test database on its cluster (`<name>_<suffix>`); its URL.
    Dropped afterwards, whoever is still connected."""
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{suffix}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def other_database() -> Iterator[str]:
    """Another database on the same cluster, made for the test and dropped after it: its name."""
    with scratch_postgres_database("other") as url:
        yield str(make_url(url).database)


@pytest.fixture(params=["this database", "another database"])
def unrelated_transaction(request: pytest.FixtureRequest) -> Iterator[int]:
    """PostgreSQL: a transaction holding a transaction id, open for the whole test (a psql session left open)."""
    assert POSTGRES_URL
    database = request.getfixturevalue("other_database") if request.param == "another database" else None
    with psycopg.connect(_libpq(POSTGRES_URL, database)) as connection:
        xid = connection.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        assert xid is not None
        yield int(xid[0])
        connection.rollback()
