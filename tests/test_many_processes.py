"""Two `leder serve` processes and two workers on one PostgreSQL, driven at once from outside:
the change feed (placed by the two workers' relays), read a little at a time through either process,
has no gaps and no repeats, and
each notification, raced for by two allocations through the two processes, is allocated once."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from app.auth.policy import Scope
from app.auth.service import issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from tests.conftest import POSTGRES_URL, TEST_SECRET
from tests.factories import notification_body
from tests.test_webhook_faults import _check_digit
from tests.workflow import Flow

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="several processes on one database: PostgreSQL")

NOTIFICATIONS = 30


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(tmp_path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(tmp_path),
        "LEDER_DATABASE_URL": POSTGRES_URL or "",
        "LEDER_SECRET_KEY": TEST_SECRET,
        "LEDER_LOG_LEVEL": "WARNING",
        "LEDER_WORKER_POLL_SECONDS": "0.2",
        # The production shape: the workers are the feed's relays, the API processes only read and write.
        "LEDER_FEED_RELAY_IN_API": "false",
    }


def _numbers():
    for n in range(10_000):
        nine = f"99910{n:04d}"
        check = _check_digit(nine)
        if check is not None:
            yield nine + str(check)


def _spawn(arguments: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "app.cli", *arguments]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


async def _ready(http: httpx.AsyncClient, base: str) -> None:
    for _ in range(300):
        try:
            if (await http.get(f"{base}/health/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not become ready")


async def _feed(http: httpx.AsyncClient, bases: list[str], headers, after: str | None, limit: int):
    page = await http.get(f"{bases[0]}/events", params={"limit": limit, **({"after": after} if after else {})},
                          headers=headers)  # fmt: skip
    assert page.status_code == 200, page.text
    bases.reverse()  # the next page from the other process
    return page.json()


async def test_two_api_processes_and_two_workers_share_one_database(api, world, settings, tmp_path):
    flow = await Flow.start(api, world)
    racers = [await flow.register_reviewer(f"Racer {n}", max_active_reviews=NOTIFICATIONS) for n in (1, 2)]
    live_tokens = TokenService(settings, SystemClock())  # the processes run on the real clock
    coordinator = {
        "Authorization": f"Bearer {issue_user_token(live_tokens, flow.coordinator.user, timedelta(hours=1))}"
    }
    client_id, secret = await world.client([Scope.events_read], ["15F"])

    env = _environment(tmp_path)
    ports = [_port(), _port()]
    processes = [_spawn(["serve", "--port", str(port)], env) for port in ports]
    processes += [_spawn(["worker"], env) for _ in range(2)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for base in bases:
                await _ready(http, base)
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
            token = (await http.post(f"{bases[0]}/auth/token", data=form)).json()["access_token"]
            reader = {"Authorization": f"Bearer {token}"}

            seen: list[str] = []
            cursor: list[str | None] = [None]
            done = asyncio.Event()

            async def follow_the_feed() -> None:
                order = list(bases)
                while not done.is_set():
                    page = await _feed(http, order, reader, cursor[0], 7)
                    seen.extend(e["id"] for e in page["items"])
                    cursor[0] = page["next_cursor"]
                    if not page["items"]:
                        await asyncio.sleep(0.02)

            follower = asyncio.create_task(follow_the_feed())
            numbers = _numbers()
            bodies = [notification_body(**{"person.nhs_number": next(numbers)}) for _ in range(NOTIFICATIONS)]
            created = await asyncio.gather(
                *(http.post(f"{bases[i % 2]}/notifications", json=body, headers=coordinator)
                  for i, body in enumerate(bodies))
            )  # fmt: skip
            assert [r.status_code for r in created] == [201] * NOTIFICATIONS
            ids = [r.json()["id"] for r in created]

            async def race(notification_id: str) -> list[int]:
                etag = (await http.get(f"{bases[0]}/notifications/{notification_id}", headers=coordinator)).headers[
                    "etag"
                ]
                attempts = [
                    http.put(f"{base}/notifications/{notification_id}/allocation",
                             json={"reviewer_id": str(racer.user.id)}, headers={**coordinator, "If-Match": etag})
                    for base, racer in zip(bases, racers, strict=True)
                ]  # fmt: skip
                return sorted(r.status_code for r in await asyncio.gather(*attempts))

            outcomes = await asyncio.gather(*(race(i) for i in ids))
            done.set()
            await follower

            everything: list[dict] = []
            after = None
            while True:
                page = await _feed(http, list(bases), reader, after, 1000)
                if not page["items"]:
                    break
                everything += page["items"]
                after = page["next_cursor"]
            rest_after_follower = []
            after = cursor[0]
            while True:
                page = await _feed(http, list(bases), reader, after, 1000)
                if not page["items"]:
                    break
                rest_after_follower += [e["id"] for e in page["items"]]
                after = page["next_cursor"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    # Each race: one allocation won, the other found the version moved on (412) or lost the row (409).
    assert all(outcome[0] == 200 and outcome[1] in (409, 412) for outcome in outcomes), outcomes
    allocated = Counter(e["notification_id"] for e in everything if e["type"] == "notification.allocated")
    assert allocated == Counter(dict.fromkeys(ids, 1))
    # What the follower saw, then the rest from its last cursor: the whole feed, in order, once each.
    assert seen + rest_after_follower == [e["id"] for e in everything]
    assert seen, "the follower read nothing while the writes went on"
    assert len(set(seen)) == len(seen)
    # uvicorn re-raises the SIGTERM it handled gracefully (-15); the workers exit 0.
    assert [p.returncode for p in processes] in ([-15, -15, 0, 0], [0, 0, 0, 0])
