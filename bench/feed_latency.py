"""Benchmark: how soon a committed change reaches the change feed and its webhook receiver, with no other
transaction open, and with an unrelated transaction holding a transaction id open in the same database
and in another database on the cluster (which used to stop the feed until it ended).

Starts `leder serve` (the relay off in the API, as in production) and `leder worker` (the default 1 s poll;
NOTIFY wakes it) on a scratch PostgreSQL database, registers a webhook receiver on 127.0.0.1, then for each
condition creates notifications one at a time and times, from the 201 answer (after the commit), until an
integrator polling `GET /events` every 10 ms sees the event and until the receiver has it.

    .venv/bin/python -m bench.feed_latency [--samples 30] [--database leder_bench_feed]
        [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg

from app.areas.schemas import AreaCreate
from app.areas.service import create_area
from app.auth.policy import Role, Scope
from app.auth.service import create_client, issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.users.schemas import UserCreate
from app.users.service import create_user

SECRET = "bench-only-signing-key-0123456789abcdef0123456789"  # noqa: S105
BODY = {
    "area_ods": "15F",
    "person": {"given_name": "Bench", "family_name": "Person", "date_of_birth": "1970-05-20", "sex": "female",
               "ethnic_category": "A", "learning_disability_level": "moderate", "autism": False},
    "death": {"date_of_death": "2025-03-10", "place_of_death": "hospital",
              "cause_of_death": {"part_1": [{"text": "Aspiration pneumonia"}], "part_2": []},
              "other_processes": []},
    "notifier": {"name": "Bench Notifier", "role": "Medical examiner officer", "organisation": "Bench Trust",
                 "contact": "bench@example.org"},
}  # fmt: skip


class Receiver:
    """Webhook receiver on 127.0.0.1: when each webhook-id first arrived (monotonic clock)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                receiver.arrived.setdefault(self.headers["webhook-id"], time.monotonic())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def scratch_databases(admin_url: str, name: str) -> Iterator[tuple[str, str]]:
    """A fresh database for the service and another beside it on the cluster; dropped afterwards."""
    names = (name, f"{name}_other")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for each in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{each}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for each in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)')


async def setup(settings: Settings) -> tuple[str, str, str]:
    """An area, a coordinator's token, and an integrator client (feed and webhooks): (token, id, secret)."""
    engine = create_engine(settings)
    now = datetime.now(UTC)
    try:
        async with create_sessionmaker(engine)() as session:
            await create_area(session, AreaCreate(ods_code="15F", name="Bench area"), now)
            user = await create_user(
                session, UserCreate(role=Role.coordinator, area_ods="15F", name="Bench", email="c@example.org"), now
            )
            client, secret = await create_client(
                session, "Bench", [Scope.events_read, Scope.webhooks_manage], ["15F"], now
            )
            await session.commit()
    finally:
        await engine.dispose()
    token = issue_user_token(TokenService(settings, SystemClock()), user, timedelta(hours=2))
    return token, client.client_id, secret


@contextlib.asynccontextmanager
async def unrelated_transaction(url: str | None) -> AsyncIterator[None]:
    """A transaction holding a transaction id, open throughout (None: no such transaction)."""
    if url is None:
        yield
        return
    async with await psycopg.AsyncConnection.connect(url) as connection:
        await connection.execute("SELECT pg_current_xact_id()")
        yield
        await connection.rollback()


async def measure(
    http: httpx.AsyncClient, base: str, staff: dict[str, str], reader: dict[str, str], receiver: Receiver,
    samples: int,
) -> tuple[list[float], list[float]]:  # fmt: skip
    cursor = (await http.get(f"{base}/events", params={"limit": 1000}, headers=reader)).json()["next_cursor"]
    to_feed, to_webhook = [], []
    for _ in range(samples):
        await asyncio.sleep(random.uniform(0.2, 0.6))  # noqa: S311  (not in step with the worker's poll)
        answer = await http.post(f"{base}/notifications", json=BODY, headers=staff)
        committed = time.monotonic()
        assert answer.status_code == 201, answer.text
        notification_id = answer.json()["id"]
        event_id = None
        while event_id is None:
            if time.monotonic() - committed > 60:
                raise RuntimeError("an event did not reach the feed within a minute")
            page = (await http.get(f"{base}/events", params={"after": cursor}, headers=reader)).json()
            cursor = page["next_cursor"]
            event_id = next((e["id"] for e in page["items"] if e["notification_id"] == notification_id), None)
            if event_id is None:
                await asyncio.sleep(0.01)
        to_feed.append(time.monotonic() - committed)
        while event_id not in receiver.arrived:
            if time.monotonic() - committed > 60:
                raise RuntimeError("a webhook did not arrive within a minute")
            await asyncio.sleep(0.005)
        to_webhook.append(receiver.arrived[event_id] - committed)
    return to_feed, to_webhook


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:7.0f} {p95 * 1000:7.0f} {ordered[-1] * 1000:7.0f}"


def start(env: dict[str, str], port: int) -> list[subprocess.Popen[bytes]]:
    """Migrate, then start the API and the worker."""
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, capture_output=True)
    commands = [["serve", "--port", str(port)], ["worker"]]
    return [
        subprocess.Popen([sys.executable, "-m", "app.cli", *command], env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                         stderr=subprocess.DEVNULL)
        for command in commands
    ]  # fmt: skip


async def drive(settings: Settings, base: str, url: str, other_url: str, samples: int) -> None:
    token, client_id, secret = await setup(settings)
    receiver = Receiver()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{base}/health/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
            access = (await http.post(f"{base}/auth/token", data=form)).json()["access_token"]
            reader = {"Authorization": f"Bearer {access}"}
            hook = {"url": receiver.url, "event_types": ["notification.created"]}
            assert (await http.post(f"{base}/webhooks", json=hook, headers=reader)).status_code == 201
            staff = {"Authorization": f"Bearer {token}"}
            await measure(http, base, staff, reader, receiver, 2)  # warm-up: the worker is up and listening
            print(f"{samples} notifications per condition; milliseconds from the 201 (after the commit)")
            print(f"{'condition':<40} {'feed p50':>8} {'p95':>7} {'max':>7}  {'hook p50':>8} {'p95':>7} {'max':>7}")
            conditions = [
                ("no other transaction open", None),
                ("a transaction open in this database", url),
                ("a transaction open in another database", other_url),
            ]
            for label, open_in in conditions:
                async with unrelated_transaction(open_in):
                    to_feed, to_webhook = await measure(http, base, staff, reader, receiver, samples)
                print(f"{label:<40} {summary(to_feed)}  {summary(to_webhook)}")
    finally:
        receiver.close()


def run(admin_url: str, database: str, samples: int) -> None:
    with scratch_databases(admin_url, database) as (url, other_url), tempfile.TemporaryDirectory() as data:
        sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://")
        settings = Settings(database_url=sqlalchemy_url, secret_key=SECRET, data_dir=Path(data))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LEDER_")},
            "LEDER_DATA_DIR": data, "LEDER_DATABASE_URL": sqlalchemy_url, "LEDER_SECRET_KEY": SECRET,
            "LEDER_LOG_LEVEL": "WARNING", "LEDER_FEED_RELAY_IN_API": "false",
            "LEDER_WEBHOOK_ALLOWED_PRIVATE_HOSTS": json.dumps(["127.0.0.1"]),
        }  # fmt: skip
        port = _port()
        processes = start(env, port)
        try:
            asyncio.run(drive(settings, f"http://127.0.0.1:{port}", url, other_url, samples))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--database", default="leder_bench_feed", help="scratch database (created and dropped)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    arguments = parser.parse_args()
    run(arguments.admin_url, arguments.database, arguments.samples)


if __name__ == "__main__":
    main()
