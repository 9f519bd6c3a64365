"""The change feed through HTTP: commit order, cursors, areas, scope; no gap under concurrent writers,
and no stall behind transactions that have nothing to do with it."""

from __future__ import annotations

import asyncio
import time
from random import Random

import httpx
import pytest
from sqlalchemy import text

from app.auth.policy import Role, Scope
from app.core.config import Environment
from app.events.relay import place_all
from app.main import create_app
from tests.conftest import POSTGRES_URL
from tests.factories import notification_body
from tests.workflow import Flow


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def feed(api, headers, after=None, limit=100, relay=True):
    """A page of the feed, read after the relay has placed what has committed (as the worker would have)."""
    if relay:
        await place_all(api.app.state.sessionmaker)
    params = {"limit": limit} | ({"after": after} if after else {})
    response = await api.get("/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_integrator_follows_every_change_in_order_without_identifiable_data(api, world, flow):
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    case = await flow.reach("initial_review")
    page = await feed(api, reader)
    types = [e["type"] for e in page["items"]]
    assert types == [
        "notification.created",
        "notification.stage_changed",  # to allocated
        "notification.allocated",
        "notification.stage_changed",  # to initial_review
    ]
    assert {e["notification_id"] for e in page["items"]} == {case.id}
    assert all(e["area"] == "15F" for e in page["items"])
    for identifiable in ("9434765919", "Joan", "Example"):
        assert identifiable not in str(page["items"])

    caught_up = await feed(api, reader, after=page["next_cursor"])
    assert caught_up == {"items": [], "next_cursor": page["next_cursor"]}  # poll again from here
    assert (await flow.hold(case)).status_code == 201
    newer = await feed(api, reader, after=page["next_cursor"])
    assert [e["type"] for e in newer["items"]] == ["notification.stage_changed", "notification.put_on_hold"]


async def test_small_pages_chain_without_gaps_or_repeats(api, world, flow):
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    await flow.reach("completed")
    everything = (await feed(api, reader))["items"]
    assert len(everything) >= 5
    seen, cursor = [], None
    for _ in range(len(everything) + 1):
        page = await feed(api, reader, after=cursor, limit=2)
        if not page["items"]:
            break
        seen += page["items"]
        cursor = page["next_cursor"]
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    assert len({e["id"] for e in seen}) == len(seen)


async def test_each_client_sees_only_its_areas(api, world, flow):
    manchester = await world.staff(Role.coordinator, "14L")
    await flow.notify()
    body = notification_body(area_ods="14L", **{"person.nhs_number": "9990000018"})
    assert (await api.post("/notifications", json=body, headers=manchester.headers)).status_code == 201
    leeds_reader = await world.integrator(api, [Scope.events_read], ["15F"])
    both_reader = await world.integrator(api, [Scope.events_read], ["15F", "14L"])
    assert {e["area"] for e in (await feed(api, leeds_reader))["items"]} == {"15F"}
    assert {e["area"] for e in (await feed(api, both_reader))["items"]} == {"15F", "14L"}


async def test_the_feed_needs_the_events_scope_and_an_integrator(api, world, flow):
    writer = await world.integrator(api, [Scope.notifications_write, Scope.notifications_read], ["15F"])
    assert (await api.get("/events", headers=writer)).status_code == 403
    assert (await api.get("/events", headers=flow.coordinator.headers)).status_code == 403
    national = await world.staff(Role.national)
    assert (await api.get("/events", headers=national.headers)).status_code == 403
    assert (await api.get("/events")).status_code == 401


@pytest.mark.parametrize(
    "cursor",
    ["abc", "1.2.3", "-1", "-1.5", "9223372036854775808", "99999999999999999999.1", "1.9223372036854775808", "7.99"],
)
async def test_a_cursor_the_feed_did_not_give_is_refused(api, world, flow, cursor):
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    response = await api.get("/events", params={"after": cursor}, headers=reader)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_refused_change_leaves_no_event(api, world, flow):
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    case = await flow.notify()
    before = await feed(api, reader)
    refused = await flow.move(case, "completed", flow.coordinator)  # not a legal move from notified
    assert refused.status_code == 409
    assert (await feed(api, reader, after=before["next_cursor"]))["items"] == []


async def test_an_event_reaches_the_feed_once_the_relay_has_placed_it(api, world, flow):
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    await flow.notify()
    assert (await feed(api, reader, relay=False))["items"] == []  # committed, not yet placed: not served
    assert await world.relay() == 1
    [created] = (await feed(api, reader, relay=False))["items"]
    assert (created["type"], created["cursor"]) == ("notification.created", "1")
    assert await world.relay() == 0  # placed once


async def test_a_cursor_given_out_before_the_relay_still_resumes_where_it_was(api, world, flow):
    """Cursors were "writing transaction.event id"; the migration placed earlier events in that order."""
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    await flow.reach("initial_review")
    everything = (await feed(api, reader))["items"]
    async with world.session() as session:
        ids = (await session.exec(text("SELECT id FROM outbox_event ORDER BY position"))).scalars().all()
    legacy = f"812.{ids[1]}"  # after the second event
    resumed = await feed(api, reader, after=legacy)
    assert [e["id"] for e in resumed["items"]] == [e["id"] for e in everything[2:]]
    assert [e["id"] for e in (await feed(api, reader, after="0.0"))["items"]] == [e["id"] for e in everything]


INSERT_EVENT = text(
    "INSERT INTO outbox_event (event_id, type, occurred_at, notification_id, area_ods, payload) "
    "VALUES (gen_random_uuid(), :type, now(), :id, '15F', '{}')"
)


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite writers take turns; the race exists only on PostgreSQL")
async def test_an_event_committed_out_of_id_order_is_placed_when_it_commits(api, world, flow):
    """Transaction A takes the lower id but commits after B: B is served first, A after it, neither skipped."""
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    case = await flow.notify()
    start = (await feed(api, reader))["next_cursor"]
    async with world.session() as slow, world.session() as fast:
        await slow.exec(INSERT_EVENT, params={"type": "test.slow", "id": case.id})
        await fast.exec(INSERT_EVENT, params={"type": "test.fast", "id": case.id})
        await fast.commit()
        first = await feed(api, reader, after=start)  # the relay runs while slow is still open
        assert [e["type"] for e in first["items"]] == ["test.fast"]
        await slow.commit()
    second = await feed(api, reader, after=first["next_cursor"])
    assert [e["type"] for e in second["items"]] == ["test.slow"]
    assert [e["type"] for e in (await feed(api, reader, after=start))["items"]] == ["test.fast", "test.slow"]


@pytest.mark.skipif(not POSTGRES_URL, reason="transactions running beside each other: PostgreSQL")
async def test_a_transaction_open_elsewhere_does_not_hold_the_feed_back(api, world, flow, unrelated_transaction):
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    async with world.session() as session:
        horizon = (await session.exec(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))).one()
    assert horizon[0] <= unrelated_transaction  # the old feed served nothing past this point
    case = await flow.notify()
    page = await feed(api, reader)
    assert [(e["type"], e["notification_id"]) for e in page["items"]] == [("notification.created", case.id)]


async def test_in_development_each_api_process_places_events_itself(settings, clock, world, flow):
    """The embedded default (one `leder serve`, no worker) still has a feed: the API runs the relay."""
    assert settings.relays_in_api  # development, unset
    assert not settings.model_copy(update={"environment": Environment.production}).relays_in_api
    application = create_app(settings, clock)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver") as api,
    ):
        reader = await world.integrator(api, [Scope.events_read], ["15F"])
        case = await flow.notify()

        async def served() -> bool:
            page = await feed(api, reader, relay=False)
            return [e["notification_id"] for e in page["items"]] == [case.id]

        assert await wait_for(served, seconds=30)


@pytest.mark.skipif(not POSTGRES_URL, reason="transactions running beside each other: PostgreSQL")
async def test_many_writers_and_several_relays_make_one_feed_without_gaps_or_repeats(api, world, flow):
    """Writers commit (or roll back) in whatever order their transactions end, two relays place events
    meanwhile, and a reader follows the feed in pages of 7: it sees every committed event once, in the
    order of the positions, and the positions run 1, 2, 3... without a hole."""
    reader = await world.integrator(api, [Scope.events_read], ["15F"])
    case = await flow.notify()
    start = (await feed(api, reader))["next_cursor"]
    random = Random(15)
    committed: list[str] = []
    writing = True

    async def writer(name: int) -> None:
        for n in range(20):
            async with world.session() as session:
                for k in range(random.randint(1, 3)):
                    await session.exec(INSERT_EVENT, params={"type": f"test.{name}.{n}.{k}", "id": case.id})
                await asyncio.sleep(random.uniform(0, 0.01))  # open while others commit and relay
                if random.random() < 0.2:
                    await session.rollback()
                    continue
                await session.commit()
                committed.extend(f"test.{name}.{n}.{k}" for k in range(k + 1))

    async def relay() -> None:
        while writing:
            await place_all(api.app.state.sessionmaker)
            await asyncio.sleep(random.uniform(0, 0.005))

    seen: list[dict] = []
    cursor = start

    async def follow() -> None:
        nonlocal cursor
        while writing:
            page = await feed(api, reader, after=cursor, limit=7, relay=False)
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            await asyncio.sleep(0.002)

    relays = [asyncio.create_task(relay()) for _ in range(2)]
    follower = asyncio.create_task(follow())
    await asyncio.gather(*(writer(n) for n in range(5)))
    writing = False
    await asyncio.gather(*relays)
    await place_all(api.app.state.sessionmaker)
    await follower
    assert seen, "the reader saw nothing while the writers wrote"
    seen.extend((await feed(api, reader, after=cursor, limit=1000))["items"])  # the rest, from where it was

    assert sorted(e["type"] for e in seen) == sorted(committed)  # each committed event, once; none rolled back
    positions = [int(e["cursor"]) for e in seen]
    assert positions == list(range(positions[0], positions[0] + len(positions)))
    for name in range(5):  # and each writer's events in the order it wrote them
        own = [e["type"] for e in seen if e["type"].startswith(f"test.{name}.")]
        assert own == [t for t in committed if t.startswith(f"test.{name}.")]
