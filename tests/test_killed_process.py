"""A real `leder serve` killed with SIGKILL while two requests are inside their transactions, each having
already written: PostgreSQL keeps none of it (no notification, allocation, history, event, audit or
idempotency row), and a new process takes the same requests as if they had never been tried."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from app.auth.service import issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from tests.conftest import POSTGRES_URL
from tests.factories import notification_body
from tests.test_many_processes import _environment, _port, _ready
from tests.workflow import Flow

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="a killed process's open transaction: PostgreSQL")

NEW_NUMBER = "9990000018"
KEY = "killed-mid-transaction"


def _serve(tmp_path: Path, application_name: str) -> tuple[subprocess.Popen[bytes], str]:
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL).set(query={"application_name": application_name})
    env = {**_environment(tmp_path), "LEDER_DATABASE_URL": url.render_as_string(hide_password=False)}
    port = _port()
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    return process, f"http://127.0.0.1:{port}"


async def _row_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.name: int((await connection.execute(text(f'SELECT count(*) FROM "{table.name}"'))).scalar() or 0)  # noqa: S608
            for table in SQLModel.metadata.sorted_tables
        }


async def _backends(engine: AsyncEngine, application_name: str, condition: str = "true") -> list[int]:
    # A connection of its own each time: pg_stat_activity is read once per transaction.
    query = f"SELECT pid FROM pg_stat_activity WHERE application_name = :name AND {condition}"  # noqa: S608
    async with engine.connect() as connection:
        return list((await connection.execute(text(query), {"name": application_name})).scalars())


async def _until(check, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_a_process_killed_mid_transaction_leaves_nothing_behind(api, world, settings, tmp_path):
    flow = await Flow.start(api, world)
    case = await flow.notify()
    live_tokens = TokenService(settings, SystemClock())  # the process runs on the real clock
    user = flow.coordinator.user
    coordinator = {"Authorization": f"Bearer {issue_user_token(live_tokens, user, timedelta(hours=1))}"}
    engine: AsyncEngine = api.app.state.engine
    application_name = f"leder-killed-{uuid.uuid4().hex[:8]}"
    body = notification_body(**{"person.nhs_number": NEW_NUMBER})

    def create(http: httpx.AsyncClient, base: str):
        return http.post(f"{base}/notifications", json=body, headers={**coordinator, "Idempotency-Key": KEY})

    def allocate(http: httpx.AsyncClient, base: str):
        headers = {**coordinator, "If-Match": case.etag}
        return http.put(f"{base}/notifications/{case.id}/allocation", json={"reviewer_id": str(flow.reviewer.user.id)},
                        headers=headers)  # fmt: skip

    process, base = _serve(tmp_path, application_name)
    try:
        async with httpx.AsyncClient(timeout=15) as http:
            await _ready(http, base)
            before = await _row_counts(engine)
            async with engine.connect() as holder:
                # The test's own transaction holds what each request needs last: the idempotency key
                # (the create has inserted its notification by then) and the reviewer's row (the allocation
                # has moved the notification's version on by then). Both wait inside their transactions.
                await holder.execute(
                    text(
                        "INSERT INTO idempotency_record (owner, key, request_sha256, resource_id, created_at) "
                        "VALUES (:owner, :key, 'held', 'held', :now)"
                    ),
                    {"owner": f"user:{user.id}", "key": KEY, "now": datetime.now(UTC)},
                )
                await holder.execute(
                    text("SELECT id FROM staff_user WHERE id = :id FOR UPDATE"), {"id": flow.reviewer.user.id}
                )
                requests = [asyncio.create_task(create(http, base)), asyncio.create_task(allocate(http, base))]

                async def both_waiting() -> bool:
                    return len(await _backends(engine, application_name, "wait_event_type = 'Lock'")) == 2

                await _until(both_waiting)
                waiting = await _backends(engine, application_name, "wait_event_type = 'Lock'")
                # Each has written to the notification table in its open transaction.
                async with engine.connect() as watcher:
                    writers = await watcher.execute(
                        text(
                            "SELECT DISTINCT pid FROM pg_locks WHERE relation = 'notification'::regclass "
                            "AND mode = 'RowExclusiveLock' AND pid = ANY(:pids)"
                        ),
                        {"pids": waiting},
                    )
                    assert sorted(writers.scalars()) == sorted(waiting)

                process.send_signal(signal.SIGKILL)
                assert process.wait(timeout=10) == -signal.SIGKILL
                for outcome in await asyncio.gather(*requests, return_exceptions=True):
                    assert isinstance(outcome, httpx.TransportError), outcome  # no answer: the process died
                await holder.rollback()

                async def sessions_ended() -> bool:
                    return not await _backends(engine, application_name)

                await _until(sessions_ended)  # PostgreSQL noticed and rolled the transactions back

            assert await _row_counts(engine) == before
            notification = await flow.get(case)
            assert (notification["stage"], notification["reviewer_id"], notification["version"]) == (
                "notified",
                None,
                int(case.etag.strip('"')),
            )

            # A new process takes both requests: nothing half-done stands in their way.
            replacement, base = _serve(tmp_path, application_name)
            try:
                await _ready(http, base)
                created = await create(http, base)
                assert created.status_code == 201, created.text
                assert "idempotent-replayed" not in created.headers
                assert (await allocate(http, base)).status_code == 200
            finally:
                replacement.terminate()
                replacement.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
