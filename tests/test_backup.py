"""`leder backup` of the embedded SQLite database, taken while the service writes: restored into a fresh
data directory, it serves the same data and its audit chain verifies, up to the head seen at backup time."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import sys
from pathlib import Path

import httpx
import pytest

from app.audit.chain import chain_key, seal_pending
from app.main import create_app
from tests.conftest import POSTGRES_URL, TEST_SECRET, make_settings
from tests.workflow import Flow


async def leder(data_dir: Path, *arguments: str) -> tuple[int, str]:
    """Run a `leder` command as an operator would, against the database in `data_dir`; (exit code, output)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(data_dir),
        "LEDER_SECRET_KEY": TEST_SECRET,
        **({"LEDER_DATABASE_URL": POSTGRES_URL} if POSTGRES_URL else {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", *arguments, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="leder backup is for the embedded SQLite database")
async def test_a_restored_backup_serves_the_same_data_and_its_audit_chain_verifies(api, world, settings, tmp_path):
    flow = await Flow.start(api, world)
    cases = [await flow.reach("initial_review"), await flow.notify("9990000018")]
    await seal_pending(world.app.state.sessionmaker, chain_key(settings))
    code, intact = await leder(settings.data_dir, "audit", "verify")
    assert code == 0 and "0 not yet sealed" in intact, intact
    head = intact.split("head: ")[1].strip()

    # A writer holds SQLite's write lock, uncommitted, all through the backup: the backup neither waits
    # for it nor copies what it has not committed.
    writer = sqlite3.connect(settings.data_dir / "leder.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO area (ods_code, name, created_at) VALUES ('99Z', 'Uncommitted', '2025-03-17')")
    target = tmp_path / "backups" / "leder-2025-03-17.db"
    target.parent.mkdir()
    try:
        code, output = await leder(settings.data_dir, "backup", str(target))
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert code == 0, output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it holds personal data
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # one self-contained file
    code, output = await leder(settings.data_dir, "backup", str(target))
    assert (code, "exists" in output) == (2, True)  # never overwrites a backup

    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    (restored / "leder.db").write_bytes(target.read_bytes())
    code, verified = await leder(restored, "audit", "verify", "--anchor", head)
    assert code == 0, verified
    assert verified.startswith(intact.splitlines()[0])  # the same rows, all sealed, unbroken
    with sqlite3.connect(restored / "leder.db") as copy:
        assert copy.execute("SELECT count(*) FROM area WHERE ods_code = '99Z'").fetchone() == (0,)

    application = create_app(make_settings(restored), world.clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as client:
        page = await client.get("/notifications", headers=flow.coordinator.headers)
    await application.state.engine.dispose()
    assert page.status_code == 200
    assert sorted(n["id"] for n in page.json()["items"]) == sorted(case.id for case in cases)


@pytest.mark.skipif(not POSTGRES_URL, reason="the refusal is for PostgreSQL")
async def test_on_postgresql_backup_points_to_pg_dump(settings, tmp_path):
    code, output = await leder(settings.data_dir, "backup", str(tmp_path / "backup.db"))
    assert code == 2
    assert "pg_dump" in output
    assert not (tmp_path / "backup.db").exists()
