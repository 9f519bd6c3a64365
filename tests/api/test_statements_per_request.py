"""The SQL each hot request runs: a page costs the same statements whatever its size (no N+1 queries),
and a read or a create runs no look-up it does not need."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.policy import Role
from tests.factories import notification_body


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements run meanwhile, each as its verb and first table: `SELECT notification`."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.split(None, 1)[0].upper()
        if verb in ("BEGIN", "COMMIT", "ROLLBACK"):  # SQLite's BEGIN IMMEDIATE (app.core.db)
            return
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", statement, re.IGNORECASE)
        seen.append(f"{verb} {table.group(1) if table else ''}".strip())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _notify(api, coordinator, count: int) -> list[str]:
    items = [notification_body(**{"person.nhs_number": None}) for _ in range(count)]
    answer = await api.post("/notifications/batch", json={"items": items}, headers=coordinator.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == count
    return [item["id"] for item in answer.json()["results"]]


async def test_a_page_runs_the_same_statements_for_one_row_as_for_fifteen(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    await _notify(api, coordinator, 15)
    engine = api.app.state.engine

    runs = {}
    for limit in (1, 15):
        with statements(engine) as seen:
            page = await api.get("/notifications", params={"limit": limit}, headers=coordinator.headers)
        assert page.status_code == 200 and len(page.json()["items"]) == limit
        runs[limit] = seen
    # Who is asking was looked up for the batch just before, and is remembered (app/auth/callers.py).
    expected = [
        "SELECT notification",  # the page (its ids, then its rows, in one statement)
        "INSERT audit_event",  # one row per notification shown, in one statement
        "SELECT hold",
        "SELECT bias_flag",
    ]
    assert runs[1] == expected
    assert runs[15] == expected


async def test_reading_one_notification_runs_four_statements_once_the_caller_is_known(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    reviewer = await world.staff(Role.reviewer, "15F")
    [notification_id] = await _notify(api, coordinator, 1)
    read = ["SELECT notification", "INSERT audit_event", "SELECT hold", "SELECT bias_flag"]
    with statements(api.app.state.engine) as seen:  # the reviewer's first request: looked up
        assert (await api.get(f"/notifications/{notification_id}", headers=reviewer.headers)).status_code == 404
    assert seen[0] == "SELECT staff_user"
    with statements(api.app.state.engine) as seen:  # the coordinator, remembered from the batch
        assert (await api.get(f"/notifications/{notification_id}", headers=coordinator.headers)).status_code == 200
    assert seen == read


async def test_a_create_looks_up_only_the_caller_the_area_and_the_death(api, world):
    """A new notification has no findings, holds or flags to read back: its rows are written, no more."""
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    body = notification_body(**{"person.nhs_number": "9434765919"})
    with statements(api.app.state.engine) as seen:
        assert (await api.post("/notifications", json=body, headers=coordinator.headers)).status_code == 201
    assert seen == [
        "SELECT staff_user",
        "SELECT area",
        "SELECT notification",  # a notification of the same death?
        "INSERT notification",
        "INSERT stage_span",
        "INSERT history_entry",
        "INSERT outbox_event",
        "INSERT audit_event",
    ]
