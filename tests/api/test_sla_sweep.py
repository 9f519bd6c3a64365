"""The worker's SLA sweep: each crossing into at risk and into breached announced once, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.policy import Scope
from app.worker.models import WorkerLease
from app.worker.runner import SQLITE_LEASE, AnotherWorkerRuns, Worker
from tests.conftest import POSTGRES_URL
from tests.workflow import Flow


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def sweep_once(settings, clock):
    return await Worker(settings, clock).run(once=True)


async def sla_events(api, world):
    """The SLA events in the change feed (read with a token valid at the clock's time), with their days."""
    reader = await world.integrator(api, [Scope.events_read, Scope.notifications_dates], ["15F"])
    response = await api.get("/events", params={"limit": 1000}, headers=reader)
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["type"].startswith("sla.")]


async def test_each_crossing_is_announced_once(api, world, flow, settings, clock):
    case = await flow.reach("allocated")  # notified 17 March 2025: due 17 September 2025
    assert (await sweep_once(settings, clock)).announced == 0

    clock.set(datetime(2025, 8, 20, 9, tzinfo=UTC))  # inside the last 30 days
    assert (await sweep_once(settings, clock)).announced == 1
    assert (await sweep_once(settings, clock)).announced == 0  # a restart repeats nothing
    clock.set(datetime(2025, 9, 20, 9, tzinfo=UTC))  # past due
    assert (await sweep_once(settings, clock)).announced == 1
    announced = await sla_events(api, world)
    assert [(e["type"], e["notification_id"]) for e in announced] == [
        ("sla.at_risk", case.id),
        ("sla.breached", case.id),
    ]
    assert announced[-1]["payload"] == {"stage": "allocated", "due_on": "2025-09-17"}

    # A hold begun after the due date does not stop the clock: nothing changes.
    flow.refresh_tokens()
    assert (await flow.hold(case)).status_code == 201
    assert (await sweep_once(settings, clock)).changed == 0


async def test_a_state_that_falls_back_is_recorded_and_its_next_rise_announced_again(api, world, flow, settings, clock):
    await flow.reach("allocated")  # due 17 September 2025
    clock.set(datetime(2025, 8, 20, 9, tzinfo=UTC))  # 28 days left
    assert (await sweep_once(settings, clock)).announced == 1
    narrower = settings.model_copy(update={"sla_at_risk_days": 20})  # the threshold was changed
    fell_back = await sweep_once(narrower, clock)
    assert (fell_back.changed, fell_back.announced) == (1, 0)
    clock.set(datetime(2025, 9, 1, 9, tzinfo=UTC))  # 16 days left: at risk again, a new crossing
    assert (await sweep_once(narrower, clock)).announced == 1
    assert [e["type"] for e in await sla_events(api, world)] == ["sla.at_risk", "sla.at_risk"]


async def test_closed_reviews_are_not_announced(api, world, flow, settings, clock):
    await flow.reach("completed")
    await flow.reach("excluded", number="4010232137")
    clock.set(datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert (await sweep_once(settings, clock)).changed == 0


async def test_many_notifications_are_swept_in_chunks(api, world, flow, settings, clock):
    numbers = ["9990000018", "9990000026", "9990000034", "9990000042", "9990000050"]
    for number in numbers:
        await flow.notify(number)
    clock.set(datetime(2025, 9, 20, 9, tzinfo=UTC))
    result = await sweep_once(settings.model_copy(update={"worker_sweep_chunk": 2}), clock)
    assert (result.examined_chunks, result.announced) == (3, 5)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="on PostgreSQL several workers may run")
async def test_on_sqlite_a_second_worker_refuses_to_start(world, settings, clock, flow):
    async with world.session() as session:
        session.add(WorkerLease(name=SQLITE_LEASE, holder="elsewhere:1", expires_at=clock.now() + timedelta(minutes=1)))
        await session.commit()
    with pytest.raises(AnotherWorkerRuns):
        await sweep_once(settings, clock)
    clock.set(clock.now() + timedelta(minutes=2))  # that worker died: its lease lapsed
    await sweep_once(settings, clock)
    async with world.session() as session:
        assert (await session.exec(select(WorkerLease))).all() == []  # released on the way out
