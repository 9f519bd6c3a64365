"""SQLite under concurrent writers: a real `leder serve` on a SQLite file, written to by sixteen threads
at once. Every answer is a success or the 4xx the request earned; none is a 500 or 503, and "database is
locked" never reaches a client (see `writer_turns` in app/core/db.py for why it could)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import islice
from pathlib import Path

import httpx
import pytest

from app.auth.service import issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from tests.conftest import POSTGRES_URL, TEST_SECRET
from tests.factories import notification_body
from tests.test_many_processes import _numbers, _port
from tests.workflow import Flow

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's single writer")

THREADS = 16
PER_THREAD = 4
EXPECTED = {200, 201, 409, 412}  # 409: the duplicate each thread sends; 412: its stale If-Match


def _serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(data_dir),
        "LEDER_SECRET_KEY": TEST_SECRET,
        "LEDER_LOG_LEVEL": "WARNING",
    }
    port = _port()
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    return process, f"http://127.0.0.1:{port}"


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become ready")


def _writer(base: str, headers: dict[str, str], numbers: list[str], reviewer_id: str) -> list[httpx.Response]:
    """One thread's work: record notifications, allocate each, and earn a 409 and a 412 on the way."""
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=base, headers=headers, timeout=20) as client:
        for number in numbers:
            created = client.post("/notifications", json=notification_body(**{"person.nhs_number": number}))
            answers.append(created)
            if created.status_code != 201:
                continue
            where = created.headers["location"]
            stale = created.headers["etag"]
            allocation = {"reviewer_id": reviewer_id}
            answers.append(client.put(f"{where}/allocation", json=allocation, headers={"If-Match": stale}))
            answers.append(client.put(f"{where}/allocation", json=allocation, headers={"If-Match": stale}))
            answers.append(client.get(where))
        answers.append(client.post("/notifications", json=notification_body(**{"person.nhs_number": numbers[0]})))
    return answers


def _drive(base: str, headers: dict[str, str], reviewer_ids: list[str]) -> tuple[list[httpx.Response], list[dict]]:
    _wait_ready(base)
    numbers = _numbers()
    batches = [list(islice(numbers, PER_THREAD)) for _ in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [
            pool.submit(_writer, base, headers, batch, reviewer_ids[n % len(reviewer_ids)])
            for n, batch in enumerate(batches)
        ]
        answers = [answer for future in futures for answer in future.result(timeout=60)]
    with httpx.Client(base_url=base, headers=headers, timeout=20) as client:
        listed = client.get("/notifications", params={"limit": 100}).json()["items"]
    return answers, listed


async def test_sixteen_threads_writing_at_once_never_see_a_locked_database(api, world, settings):
    flow = await Flow.start(api, world)
    reviewers = [await flow.register_reviewer(f"Busy Reviewer {n}", max_active_reviews=200) for n in range(3)]
    await api.app.state.engine.dispose()  # the test's own connections stay out of the way
    live_tokens = TokenService(settings, SystemClock())  # the server runs on the real clock
    token = issue_user_token(live_tokens, flow.coordinator.user, timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}

    process, base = _serve(settings.data_dir)
    try:
        answers, listed = await asyncio.to_thread(_drive, base, headers, [str(r.user.id) for r in reviewers])
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()

    unexpected = [(a.request.method, a.request.url.path, a.status_code, a.text[:200]) for a in answers
                  if a.status_code not in EXPECTED]  # fmt: skip
    assert unexpected == []
    assert not [a for a in answers if "locked" in a.text.lower()]
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == THREADS * PER_THREAD
    assert statuses.count(412) == THREADS * PER_THREAD  # the second allocation of each, from a stale ETag
    assert statuses.count(409) == THREADS  # each thread's duplicate
    assert len(listed) == THREADS * PER_THREAD
    assert all(n["stage"] == "allocated" for n in listed)
