"""Replicas starting at once on an empty database: three `leder migrate` and three `leder serve` started
together all succeed, because one migrates at a time (migrations/env.py: an advisory lock on PostgreSQL,
the write lock on SQLite) and the others then find the schema at head."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from app.core.migrations import head_revision
from tests.conftest import POSTGRES_URL, TEST_SECRET, make_settings, scratch_postgres_database
from tests.test_many_processes import _port

AT_ONCE = 3


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, with nothing in it (PostgreSQL: dropped afterwards)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_postgres_database("mig") as url:
        yield url


def _start(
    arguments: list[str], database_url: str, data_dir: Path, log: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """The command, its output into `log` (a pipe nobody reads could fill and stall it)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(data_dir),
        "LEDER_DATABASE_URL": database_url,
        "LEDER_SECRET_KEY": TEST_SECRET,
        "LEDER_LOG_LEVEL": "WARNING",
        **{f"LEDER_{name.upper()}": value for name, value in settings.items()},
    }
    command = [sys.executable, "-m", "app.cli", *arguments]
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


def _at_head(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [head_revision(make_settings(tmp_path))]
        assert {t.name for t in SQLModel.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_three_migrations_started_at_once_on_an_empty_database_all_succeed(empty_database, tmp_path):
    logs = [tmp_path / f"migrate-{n}.log" for n in range(AT_ONCE)]
    runs = [_start(["migrate"], empty_database, tmp_path, log) for log in logs]
    codes = [run.wait(timeout=120) for run in runs]
    assert codes == [0] * AT_ONCE, [log.read_text()[-2000:] for log in logs]
    _at_head(empty_database, tmp_path)


def test_three_servers_started_at_once_on_an_empty_database_all_serve(empty_database, tmp_path):
    ports = [_port() for _ in range(AT_ONCE)]
    logs = [tmp_path / f"serve-{port}.log" for port in ports]
    servers = [
        _start(["serve", "--port", str(port)], empty_database, tmp_path, log)
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        ready: set[int] = set()
        deadline = time.monotonic() + 120
        while len(ready) < AT_ONCE and time.monotonic() < deadline:
            assert all(server.poll() is None for server in servers), [log.read_text()[-2000:] for log in logs]
            for port in set(ports) - ready:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                        ready.add(port)
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        assert ready == set(ports)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)
    _at_head(empty_database, tmp_path)


def _status(port: int, path: str) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except httpx.TransportError:
        return None


def test_with_migration_on_start_off_a_server_is_not_ready_until_the_migrate_job_ran(empty_database, tmp_path):
    port = _port()
    server = _start(["serve", "--port", str(port)], empty_database, tmp_path, tmp_path / "serve.log",
                    migrate_on_start="false")  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _status(port, "/health/live") != 200 and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            time.sleep(0.1)
        assert _status(port, "/health/ready") == 503  # up, but the schema is not there: no traffic yet
        engine = create_engine(empty_database)
        assert "alembic_version" not in inspect(engine).get_table_names()
        engine.dispose()

        job = _start(["migrate"], empty_database, tmp_path, tmp_path / "migrate.log")
        assert job.wait(timeout=120) == 0, (tmp_path / "migrate.log").read_text()[-2000:]
        assert _status(port, "/health/ready") == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
