"""The production shape (`leder serve` with the relay off, `leder worker` relaying, on PostgreSQL) while an
unrelated transaction holds a transaction id open, in this database or in another on the cluster: a new
event still reaches the change feed and its webhook receiver promptly, woken by NOTIFY (the worker's poll is
set longer than the wait). Before the relay, the feed served nothing newer than the oldest running
transaction, so both waits below ran out."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
import pytest

from app.auth.policy import Scope
from app.auth.service import issue_user_token
from app.auth.tokens import TokenService
from app.core.clock import SystemClock
from tests.conftest import POSTGRES_URL
from tests.factories import notification_body
from tests.test_many_processes import _environment, _port, _ready, _spawn
from tests.test_webhook_faults import Receiver
from tests.workflow import Flow

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="transactions running beside each other: PostgreSQL")

# Far beyond the worker's wake-up (tens of milliseconds here), and far short of "until it commits".
PROMPTLY_SECONDS = 10.0


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


async def _wait_until(condition, seconds: float) -> float | None:
    """Seconds until `condition()` (a coroutine function) held, or None if it did not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await condition():
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    return None


class Integrator:
    """Follows the feed from where it last read, and watches its webhook receiver."""

    def __init__(self, http: httpx.AsyncClient, base: str, headers: dict[str, str], receiver: Receiver) -> None:
        self.http, self.base, self.headers, self.receiver = http, base, headers, receiver
        self.cursor = "0"
        self.seen: dict[str, str] = {}  # notification id -> the id of its notification.created event

    async def read(self) -> None:
        page = await self.http.get(f"{self.base}/events", params={"after": self.cursor}, headers=self.headers)
        assert page.status_code == 200, page.text
        self.cursor = page.json()["next_cursor"]
        self.seen |= {e["notification_id"]: e["id"] for e in page.json()["items"]}

    async def times_to_hear_of(self, notification_id: str, seconds: float) -> tuple[float | None, float | None]:
        """Seconds until the feed showed the notification's event, then until the receiver had it."""

        async def in_the_feed() -> bool:
            await self.read()
            return notification_id in self.seen

        async def delivered() -> bool:
            return self.seen[notification_id] in self.receiver.ids

        to_feed = await _wait_until(in_the_feed, seconds)
        return to_feed, (await _wait_until(delivered, seconds) if to_feed is not None else None)


async def test_a_new_event_reaches_the_feed_and_its_webhook_past_an_open_transaction(
    api, world, settings, receiver, tmp_path, unrelated_transaction
):
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    flow = await Flow.start(api, world)
    hooks = await world.integrator(api, [Scope.webhooks_manage], ["15F"])
    body = {"url": receiver.url, "event_types": ["notification.created"]}
    assert (await api.post("/webhooks", json=body, headers=hooks)).status_code == 201
    client_id, secret = await world.client([Scope.events_read], ["15F"])
    coordinator = issue_user_token(TokenService(settings, SystemClock()), flow.coordinator.user, timedelta(hours=1))
    staff = {"Authorization": f"Bearer {coordinator}"}

    env = _environment(tmp_path) | {
        # Longer than the wait below: only the wake-up (LISTEN/NOTIFY) can make it in time.
        "LEDER_WORKER_POLL_SECONDS": "30",
        "LEDER_WEBHOOK_ALLOWED_PRIVATE_HOSTS": json.dumps(["127.0.0.1"]),
    }
    port = _port()
    base = f"http://127.0.0.1:{port}"
    processes = [_spawn(["serve", "--port", str(port)], env), _spawn(["worker"], env)]
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            await _ready(http, base)
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
            token = (await http.post(f"{base}/auth/token", data=form)).json()["access_token"]
            integrator = Integrator(http, base, {"Authorization": f"Bearer {token}"}, receiver)

            async def notify(number: str) -> str:
                body = notification_body(**{"person.nhs_number": number})
                answer = await http.post(f"{base}/notifications", json=body, headers=staff)
                assert answer.status_code == 201, answer.text
                return str(answer.json()["id"])

            # The first also waits for the worker to start; the second is the one that must be prompt.
            warm_up = await integrator.times_to_hear_of(await notify("9434765919"), 60)
            assert None not in warm_up, warm_up
            to_feed, to_webhook = await integrator.times_to_hear_of(await notify("9990000018"), PROMPTLY_SECONDS)
            assert to_feed is not None, "the event never reached the feed"
            assert to_webhook is not None, "the webhook never arrived"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
