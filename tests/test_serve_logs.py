"""`leder serve` as a platform runs it: every line it prints is JSON a log pipeline can read (ISO-8601 UTC
time, level, logger, request id), without terminal colour codes or personal data, and a caller's
well-formed X-Request-ID follows the request into the response and onto its log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import POSTGRES_URL, TEST_SECRET
from tests.test_many_processes import _port

NHS_NUMBER = "9434765919"


def _serve(tmp_path: Path, port: int, log: Path, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(tmp_path),
        "LEDER_DATABASE_URL": database_url,
        "LEDER_SECRET_KEY": TEST_SECRET,
        "LEDER_LOG_LEVEL": "INFO",
        "FORCE_COLOR": "1",  # a terminal-like environment: still no colour codes
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


def _run_and_collect(tmp_path: Path) -> tuple[list[httpx.Response], list[dict[str, Any]], str]:
    port, log = _port(), tmp_path / "serve.log"
    database_url = POSTGRES_URL or f"sqlite:///{tmp_path / 'serve.db'}"
    server = _serve(tmp_path, port, log, database_url)
    base = f"http://127.0.0.1:{port}"
    responses: list[httpx.Response] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        responses.append(httpx.get(f"{base}/health/live", headers={"X-Request-ID": "lb-7f3a.42"}))
        # An error, with an NHS number where a careless client put it (the query string).
        responses.append(
            httpx.get(f"{base}/notifications", params={"nhs_number": NHS_NUMBER}, headers={"X-Request-ID": "e-1"})
        )
        responses.append(httpx.get(f"{base}/no-such-page", headers={"X-Request-ID": "bad id\twith spaces"}))
    finally:
        server.terminate()
        server.wait(timeout=20)
    raw = log.read_text()
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return responses, lines, raw


def test_every_line_of_leder_serve_is_json_with_time_level_logger_and_request_id(tmp_path):
    responses, lines, raw = _run_and_collect(tmp_path)
    live, unauthorised, unknown = responses

    assert "\x1b[" not in raw
    assert NHS_NUMBER not in raw
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "leder.access"} <= loggers, loggers  # uvicorn's start/stop lines too
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= line.keys(), line
        assert "color_message" not in line
        stamp = datetime.fromisoformat(line["time"])
        assert stamp.utcoffset() == timedelta(0), line["time"]
        assert line["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}

    # A caller's well-formed id is kept, on the response (errors too) and on the request's log line.
    assert live.headers["x-request-id"] == "lb-7f3a.42"
    assert unauthorised.status_code == 401
    assert unauthorised.headers["x-request-id"] == "e-1"
    assert unauthorised.json()["request_id"] == "e-1"
    # A malformed one is replaced by the service's own.
    assert unknown.status_code == 404
    assert unknown.headers["x-request-id"] != "bad id\twith spaces"
    assert len(unknown.headers["x-request-id"]) == 32

    access = {line["request_id"]: line for line in lines if line["logger"] == "leder.access"}
    assert access["lb-7f3a.42"]["route"] == "/health/live"
    assert access["e-1"]["status"] == 401
    assert access[unknown.headers["x-request-id"]]["status"] == 404


def test_the_migrate_job_logs_json_too(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(tmp_path),
        "LEDER_DATABASE_URL": f"sqlite:///{tmp_path / 'migrate.db'}",
        "LEDER_SECRET_KEY": TEST_SECRET,
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    lines = [json.loads(line) for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert any(line["logger"] == "alembic.runtime.migration" for line in lines)
    assert lines[-1]["message"] == "database at head"
