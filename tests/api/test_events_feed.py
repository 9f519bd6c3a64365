"""The change feed through HTTP: commit order, cursors, areas, scope; and no gap under concurrent writers."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.auth.policy import Role, Scope
from app.events.feed import Cursor, read_feed
from tests.conftest import POSTGRES_URL
from tests.factories import notification_body
from tests.workflow import Flow


@pytest.fixture
async def flow(api, world):
    return await Flow.start(api, world)


async def feed(api, headers, after=None, limit=100):
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


@pytest.mark.parametrize("cursor", ["abc", "1", "1.2.3", "-1.5", "99999999999999999999.1", "1.9223372036854775808"])
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


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite writers take turns; the race exists only on PostgreSQL")
async def test_an_event_committed_out_of_id_order_is_not_skipped(world, flow):
    """Transaction A takes the lower id but commits after B: the feed must hold B back until A is done."""
    case = await flow.notify()
    insert = text(
        "INSERT INTO outbox_event (event_id, type, occurred_at, notification_id, area_ods, payload) "
        "VALUES (gen_random_uuid(), :type, now(), :id, '15F', '{}')"
    )
    async with world.session() as slow, world.session() as fast, world.session() as reader:
        start = (await read_feed(reader, Cursor(0, 0), 1000, ["15F"]))[-1]
        after = Cursor(start.tx_order or 0, start.id or 0)
        await reader.commit()
        await slow.exec(insert, params={"type": "test.slow", "id": case.id.replace("-", "")})
        await fast.exec(insert, params={"type": "test.fast", "id": case.id.replace("-", "")})
        await fast.commit()
        assert [e.type for e in await read_feed(reader, after, 10, ["15F"])] == []  # slow is still running
        await reader.commit()
        await slow.commit()
        assert [e.type for e in await read_feed(reader, after, 10, ["15F"])] == ["test.slow", "test.fast"]
