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
    """The statements run meanwhile, each as its verb and first table, `SELECT notification`, and the rows a
    WITH clause inserts on the way: `SELECT notification + INSERT audit_event`."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK"):  # SQLite's BEGIN IMMEDIATE
            return
        outer = _outermost(statement)
        verb = re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", outer, re.IGNORECASE)
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", outer, re.IGNORECASE)
        label = f"{verb.group(1).upper() if verb else '?'} {table.group(1) if table else ''}".strip()
        if outer.lstrip().upper().startswith("WITH"):
            label += "".join(f" + INSERT {t}" for t in re.findall(r"INSERT INTO \"?(\w+)", statement, re.IGNORECASE))
        seen.append(label)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _outermost(statement: str) -> str:
    """The statement without its parenthesised parts, so that a subquery in the select list (a row's holds)
    does not name the table read."""
    depth, kept = 0, []
    for character in statement:
        depth += character == "("
        if depth == 0:
            kept.append(character)
        depth -= character == ")"
    return "".join(kept)


def _read_and_audited(engine: AsyncEngine) -> list[str]:
    if engine.dialect.name == "postgresql":
        return ["SELECT notification + INSERT audit_event"]
    return ["SELECT notification", "INSERT audit_event"]


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
    # Who is asking was looked up for the batch just before, and is remembered (app/auth/callers.py). The
    # page's ids, then its rows with their holds and flags, in one statement, and one audit row per
    # notification shown: in that statement on PostgreSQL, in one more on SQLite.
    expected = _read_and_audited(engine)
    assert runs[1] == expected
    assert runs[15] == expected


async def test_reading_one_notification_runs_one_or_two_statements_once_the_caller_is_known(api, world):
    await world.area("15F")
    coordinator = await world.staff(Role.coordinator, "15F")
    reviewer = await world.staff(Role.reviewer, "15F")
    [notification_id] = await _notify(api, coordinator, 1)
    read = _read_and_audited(api.app.state.engine)  # the row with its holds and flags, and its audit row
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
