"""The outbox backlog (for metrics): what waits for the relay, the fan-out and the receivers, and since when."""

from __future__ import annotations

from datetime import timedelta

import httpx

from app.auth.policy import Scope
from app.events.backlog import outbox_backlog
from app.webhooks.fanout import fan_out
from tests.api.test_webhooks import HOOK, Receiver, work
from tests.workflow import Flow


async def backlog(world):
    async with world.session() as session:
        return await outbox_backlog(session, world.clock.now())


async def test_the_backlog_follows_an_event_from_commit_to_delivery(api, world, settings, clock):
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    flow = await Flow.start(api, world)
    hooks = await world.integrator(api, [Scope.webhooks_manage], ["15F"])
    body = {"url": HOOK, "event_types": ["notification.created"]}
    assert (await api.post("/webhooks", json=body, headers=hooks)).status_code == 201
    nothing = await backlog(world)
    assert (nothing.unplaced, nothing.not_fanned_out, nothing.pending_deliveries) == (0, 0, 0)
    assert nothing.oldest_undelivered_seconds == 0

    await flow.notify()
    clock.set(clock.now() + timedelta(seconds=90))
    waiting = await backlog(world)
    assert (waiting.unplaced, waiting.oldest_unplaced_seconds) == (1, 90)

    await world.relay()
    placed = await backlog(world)
    assert (placed.unplaced, placed.not_fanned_out, placed.pending_deliveries) == (0, 1, 0)

    await fan_out(world.app.state.sessionmaker, clock.now())
    fanned = await backlog(world)
    assert (fanned.not_fanned_out, fanned.pending_deliveries, fanned.oldest_undelivered_seconds) == (0, 1, 90)

    await work(settings, clock, Receiver(httpx.Response(503)))  # a failed attempt: still on its way
    assert (await backlog(world)).pending_deliveries == 1
    clock.set(clock.now() + timedelta(hours=2))  # past any backoff
    await work(settings, clock, Receiver())
    delivered = await backlog(world)
    assert (delivered.pending_deliveries, delivered.oldest_undelivered_seconds) == (0, 0)
