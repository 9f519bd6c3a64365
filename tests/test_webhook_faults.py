"""Webhook delivery with real worker processes on PostgreSQL: killed mid-delivery, and two at once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.auth.policy import Scope
from tests.conftest import POSTGRES_URL, TEST_SECRET
from tests.workflow import Flow

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="several workers, and their faults, need PostgreSQL")


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records each delivery's webhook-id. While `hold` is set, it
    keeps the first request waiting (the worker that sent it is then killed)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.answers: list[int] = []  # status codes to answer with, in turn (then 204)
        self.got_one = threading.Event()
        self.hold = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                receiver.ids.append(self.headers["webhook-id"])
                receiver.got_one.set()
                if receiver.hold.is_set() and len(receiver.ids) == 1:
                    receiver.release.wait(timeout=30)
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # two workers sending at once must not be turned away

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
        "LEDER_DATA_DIR": str(data_dir),
        "LEDER_DATABASE_URL": POSTGRES_URL or "",
        "LEDER_SECRET_KEY": TEST_SECRET,
        "LEDER_LOG_LEVEL": "WARNING",
        "LEDER_WORKER_POLL_SECONDS": "0.2",
        "LEDER_WEBHOOK_CLAIM_SECONDS": "2",
        "LEDER_WEBHOOK_BACKOFF_BASE_SECONDS": "0.1",
        "LEDER_WEBHOOK_BACKOFF_MAX_SECONDS": "0.5",
        "LEDER_WEBHOOK_ALLOWED_PRIVATE_HOSTS": json.dumps(["127.0.0.1"]),
    }
    command = [sys.executable, "-m", "app.cli", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


async def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def delivery_states() -> list[tuple[str, int]]:
    return [(row[0], row[1]) for row in query("SELECT status, attempts FROM webhook_delivery ORDER BY id")]


def query(sql: str) -> list[tuple]:
    engine = create_engine(POSTGRES_URL or "")
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(sql)).all()]
    engine.dispose()
    return rows


async def setup(api, world, settings, receiver: Receiver, notifications: int) -> Flow:
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    flow = await Flow.start(api, world)
    headers = await world.integrator(api, [Scope.webhooks_manage], ["15F"])
    body = {"url": receiver.url, "event_types": ["notification.created"]}
    assert (await api.post("/webhooks", json=body, headers=headers)).status_code == 201
    numbers = iter(f"99900{n:04d}" for n in range(10000))
    for _ in range(notifications):
        number = next(n + str(c) for n in numbers for c in [_check_digit(n)] if c is not None)
        await flow.notify(number)
    return flow


def _check_digit(nine: str) -> int | None:
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    return None if check == 10 else 0 if check == 11 else check


async def test_a_worker_killed_between_sending_and_recording_leaves_the_event_to_be_sent_again(
    api, world, settings, receiver, tmp_path
):
    await setup(api, world, settings, receiver, notifications=1)
    receiver.hold.set()
    first = start_worker(tmp_path)
    second = None
    try:
        assert receiver.got_one.wait(timeout=30), "the first worker never delivered"
        first.send_signal(signal.SIGKILL)  # it sent the event; it never hears the answer, or records it
        first.wait(timeout=10)
        receiver.release.set()
        assert delivery_states() == [("pending", 0)]  # nothing recorded: the claim will lapse
        second = start_worker(tmp_path)
        assert await wait_for(lambda: delivery_states() == [("delivered", 1)]), delivery_states()
        assert len(receiver.ids) == 2
        assert receiver.ids[0] == receiver.ids[1]  # a duplicate the receiver drops by webhook-id; nothing lost
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)


async def test_two_workers_deliver_each_event_once(api, world, settings, receiver, tmp_path):
    await setup(api, world, settings, receiver, notifications=40)
    workers = [start_worker(tmp_path), start_worker(tmp_path)]
    try:
        assert await wait_for(lambda: delivery_states() == [("delivered", 1)] * 40), delivery_states()
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        assert [worker.wait(timeout=15) for worker in workers] == [0, 0]  # a clean stop, sends finished
        # Both workers have stopped, so whatever they sent has arrived: each event exactly once.
        assert len(receiver.ids) == len(set(receiver.ids)) == 40
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)


async def test_a_receiver_that_fails_five_times_then_succeeds_gets_the_event(api, world, settings, receiver, tmp_path):
    await setup(api, world, settings, receiver, notifications=1)
    receiver.answers = [500, 502, 503, 500, 500]
    worker = start_worker(tmp_path)
    try:
        assert await wait_for(lambda: delivery_states() == [("delivered", 6)]), delivery_states()
        assert len(receiver.ids) == 6
        assert len(set(receiver.ids)) == 1  # the same webhook-id every time
    finally:
        worker.kill()
        worker.wait(timeout=10)


async def test_a_receiver_answering_410_is_switched_off(api, world, settings, receiver, tmp_path):
    flow = await setup(api, world, settings, receiver, notifications=1)
    receiver.answers = [410]
    worker = start_worker(tmp_path)
    try:
        assert await wait_for(lambda: query("SELECT active, disabled_reason FROM webhook_endpoint")
                              == [(False, "the receiver answered 410 Gone")])  # fmt: skip
        await flow.notify("4010232137")
        # The fan-out has read past the new event (placed in the feed by the relay): had the endpoint been
        # live, its delivery would exist now.
        newest = "SELECT max(position) FROM outbox_event"
        fanned_out = "SELECT position FROM feed_position"
        assert await wait_for(lambda: (last := query(newest)[0][0]) is not None and query(fanned_out) == [(last,)])
        assert delivery_states() == [("dead", 1)]  # the 410 ended that delivery; nothing more was queued
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
        assert len(receiver.ids) == 1  # nothing more was sent to it
    finally:
        worker.kill()
        worker.wait(timeout=10)
