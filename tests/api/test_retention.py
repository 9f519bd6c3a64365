"""Retention: the worker prunes rate-limit counts, idempotency records and delivered webhook deliveries
past their windows, and keeps what is younger, what is still work, and dead letters (for replay)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func
from sqlmodel import select

from app.auth.policy import Scope
from app.core.rate_limits import RateLimitEvent
from app.idempotency.models import IdempotencyRecord
from app.webhooks.models import WebhookDelivery
from app.worker.retention import prune
from tests.api.test_webhooks import HOOK, Receiver, work
from tests.factories import notification_body
from tests.workflow import Flow


async def rows(world) -> dict[str, object]:
    async with world.session() as session:
        deliveries = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        return {
            "rate_limit_event": (await session.exec(select(func.count()).select_from(RateLimitEvent))).one(),
            "idempotency_record": (await session.exec(select(func.count()).select_from(IdempotencyRecord))).one(),
            "webhook_delivery": dict((await session.exec(deliveries)).all()),
        }


async def test_the_worker_prunes_what_is_past_its_retention_and_keeps_the_rest(api, world, settings, clock):
    settings.webhook_allowed_private_hosts = ["127.0.0.1"]
    flow = await Flow.start(api, world)
    hooks = await world.integrator(api, [Scope.webhooks_manage], ["15F"])
    assert (await api.post("/webhooks", json={"url": HOOK}, headers=hooks)).status_code == 201
    client_id, _ = await world.client([Scope.events_read], ["15F"])

    async def leave_a_trace(number: str, answer: httpx.Response | None = None) -> None:
        """A failed login, a notification under an Idempotency-Key, and its webhook answered `answer`
        by the worker (which also prunes), if given."""
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}
        assert (await api.post("/auth/token", data=form)).status_code == 401
        body = notification_body(**{"person.nhs_number": number})
        headers = {**flow.coordinator.headers, "Idempotency-Key": f"key-{number}"}
        assert (await api.post("/notifications", json=body, headers=headers)).status_code == 201
        if answer is not None:
            await work(settings, clock, Receiver(answer))

    settings.webhook_max_attempts = 1
    await leave_a_trace("9990000018", httpx.Response(500))  # dead at once: a dead letter
    settings.webhook_max_attempts = 8
    await leave_a_trace("9990000026", httpx.Response(204))
    clock.set(clock.now() + timedelta(days=settings.webhook_delivery_retention_days, hours=1))
    flow.refresh_tokens()
    await leave_a_trace("9990000034")
    assert await rows(world) == {
        "rate_limit_event": 3,  # each failed login counts against its address
        "idempotency_record": 3,
        "webhook_delivery": {"dead": 1, "delivered": 1},
    }

    await work(settings, clock, Receiver())  # prunes, then delivers the newest
    assert await rows(world) == {
        "rate_limit_event": 1,  # only the last login's, inside the window
        "idempotency_record": 1,
        "webhook_delivery": {"dead": 1, "delivered": 1},
    }
    # A retry under a pruned key is new; the death's own uniqueness still refuses it.
    body = notification_body(**{"person.nhs_number": "9990000026"})
    headers = {**flow.coordinator.headers, "Idempotency-Key": "key-9990000026"}
    assert (await api.post("/notifications", json=body, headers=headers)).status_code == 409
    # The younger key still replays.
    body = notification_body(**{"person.nhs_number": "9990000034"})
    replayed = await api.post("/notifications", json=body, headers={**headers, "Idempotency-Key": "key-9990000034"})
    assert (replayed.status_code, replayed.headers.get("idempotent-replayed")) == (201, "true")


async def test_pruning_goes_in_batches_until_nothing_old_is_left(world, settings, clock):
    old, recent = clock.now() - timedelta(days=1), clock.now()
    async with world.session() as session:
        session.add_all([RateLimitEvent(key=f"client:{n}", at=old) for n in range(7)])
        session.add(RateLimitEvent(key="client:recent", at=recent))
        await session.commit()
    batches = []

    async def between() -> None:
        batches.append(1)

    pruned = await prune(world.app.state.sessionmaker, clock.now(), settings, batch=2, between_batches=between)
    assert (pruned.rate_limit_events, len(batches)) == (7, 3)  # 2, 2, 2, then 1: the last batch ends it
    assert (await rows(world))["rate_limit_event"] == 1
