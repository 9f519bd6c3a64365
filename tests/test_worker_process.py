"""`leder worker` as a real process on SQLite: one at a time, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import TEST_SECRET


def _start(data_dir: Path) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(data_dir),
        "LEDER_SECRET_KEY": TEST_SECRET,
        "LEDER_WORKER_SWEEP_INTERVAL_SECONDS": "3600",
    }
    command = [sys.executable, "-m", "app.cli", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603


def _lease_holders(data_dir: Path) -> list[str]:
    database = data_dir / "leder.db"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        try:
            return [row[0] for row in connection.execute("SELECT holder FROM worker_lease")]
        except sqlite3.OperationalError:  # not migrated yet
            return []


def test_one_worker_at_a_time_and_a_clean_stop_on_sigterm(tmp_path):
    with _start(tmp_path) as first:
        try:
            deadline = time.monotonic() + 30
            while not _lease_holders(tmp_path) and time.monotonic() < deadline and first.poll() is None:
                time.sleep(0.1)
            assert _lease_holders(tmp_path) == [f"{os.uname().nodename}:{first.pid}"[:80]]

            second = _start(tmp_path)
            output, _ = second.communicate(timeout=30)
            assert second.returncode != 0
            assert "another worker is running" in output

            first.send_signal(signal.SIGTERM)
            first.wait(timeout=15)
            assert first.returncode == 0
            assert _lease_holders(tmp_path) == []  # released, so the next worker starts at once
        finally:
            if first.poll() is None:
                first.kill()
