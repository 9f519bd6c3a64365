"""The import's chunk-at-a-time path (app/notifications/bulk.py) against the one-at-a-time path it replaced.

The same rows, through both, from the same database state, must give the same results and write the
same rows to every table (ids aside), on SQLite and on PostgreSQL (where the chunk is written by COPY).
"""

from __future__ import annotations

import csv
import itertools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.models import AuditEvent
from app.auth.policy import Scope
from app.auth.service import Principal, client_principal
from app.events.models import OutboxEvent
from app.flags.models import BiasFlag
from app.idempotency import service as idempotency
from app.idempotency.models import IdempotencyRecord
from app.notifications import bulk
from app.notifications.batch import ItemResult, record_item
from app.notifications.bulk import Item, record_chunk
from app.notifications.importing import Row, import_rows, read_rows, row_key
from app.notifications.models import Notification
from app.notifications.schemas import NotificationCreate
from app.reviews.models import HistoryEntry, StageSpan
from tests.conftest import START
from tests.factories import DELETE, notification_body
from tests.test_cli import run  # noqa: F401  (the CLI fixture)
from tests.test_import import HEADER, count, csv_row, setup_client


def nhs(serial: int) -> str:
    """A valid NHS number from the 999 range (never issued), one per serial."""
    while True:
        body = f"999{serial:06d}"
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return body + str(check % 11)
        serial += 500_000


FLAGGED = {
    "death.cause_of_death.part_1": [{"text": "Aspiration pneumonia", "icd10": "J69.0"}, {"text": "Learning disabilty"}],
    "death.dnacpr.rationale": "Because of his learning disability",
}
EARLIER = notification_body(**{"person.nhs_number": nhs(14)})  # stored by an earlier run of the file
REUSED_KEY = "import:reused"  # a key first used with another body


def mixed_rows() -> list[tuple[dict[str, Any], str | None]]:
    """(body, key) in file order, with every outcome, each named by its expected status."""
    flagged = notification_body(**{"person.nhs_number": nhs(3)}, **FLAGGED)
    first = notification_body(notified_on="2025-03-12")
    return [
        (first, None),  # created, notified late
        (flagged, None),  # created, with two bias flags
        (notification_body(**{"person.nhs_number": "1234567890"}), None),  # invalid: check digit
        (notification_body(**{"person.nhs_number": nhs(5), "death.date_of_death": "2025-04-01"}), None),  # invalid
        (notification_body(area_ods="Z99", **{"person.nhs_number": nhs(6)}), None),  # invalid: no such area
        (notification_body(area_ods="14L", **{"person.nhs_number": nhs(7)}), None),  # refused: not its area
        (notification_body(**{"person.given_name": "Jo"}), None),  # duplicate of the first row
        (flagged, None),  # already recorded: the second row again
        (notification_body(**{"person.nhs_number": nhs(10)}), None),  # duplicate of an existing one, named
        (notification_body(**{"person.nhs_number": nhs(11)}), None),  # duplicate of another area's: refused, unnamed
        (notification_body(**{"person.nhs_number": DELETE, "death.died_in_england": False}), None),  # excluded
        (notification_body(**{"person.nhs_number": DELETE, "person.given_name": "Ann"}), None),  # no number
        (EARLIER, None),  # already recorded, by the earlier run
        (notification_body(**{"person.nhs_number": nhs(15)}), REUSED_KEY),  # invalid: key used for another body
        (notification_body(**{"person.nhs_number": nhs(16), "person.date_of_birth": "2015-01-01"}), None),  # child
        (notification_body(area_ods="14L", **{"person.nhs_number": nhs(17)}), None),  # refused...
        (notification_body(**{"person.nhs_number": nhs(17)}), None),  # ...so this death is not yet taken
    ]


EXPECTED = [
    "created", "created", "invalid", "invalid", "invalid", "refused", "duplicate", "already_recorded",
    "duplicate", "refused", "created", "created", "already_recorded", "invalid", "created", "refused", "created",
]  # fmt: skip


async def _setup(world) -> tuple[Principal, dict[str, str]]:
    """Areas 15F and 14L, a client for each, and what is already stored; the 15F client, and names for
    the ids already stored."""
    await world.area("15F")
    await world.area("14L")
    ours, _ = await world.client([Scope.notifications_write], ["15F"])
    theirs, _ = await world.client([Scope.notifications_write], ["14L"])
    names: dict[str, str] = {}
    async with world.session() as session:
        principal = await client_principal(session, ours)
        other = await client_principal(session, theirs)
        stored = [
            (principal, notification_body(**{"person.nhs_number": nhs(10)}), None, "existing in 15F"),
            (other, notification_body(area_ods="14L", **{"person.nhs_number": nhs(11)}), None, "existing in 14L"),
            (principal, EARLIER, row_key(EARLIER), "stored by the earlier run"),
        ]
        for who, body, key, name in stored:
            result = await record_item(session, who, 0, body, START, key)
            assert result.status == "created", result
            names[str(result.id)] = name
        other_body = NotificationCreate.model_validate(notification_body(**{"person.nhs_number": nhs(20)}))
        await idempotency.remember(session, principal.subject, REUSED_KEY, other_body, uuid.uuid4(), START)
        await session.commit()
    return principal, names


def _items() -> list[Item]:
    return [Item(line, body, key or row_key(body)) for line, (body, key) in enumerate(mixed_rows(), start=2)]


TABLES: list[tuple[type[SQLModel], bool]] = [  # (table, whether its order matters)
    (Notification, False),
    (IdempotencyRecord, True),
    (StageSpan, True),
    (HistoryEntry, True),
    (BiasFlag, False),
    (OutboxEvent, True),  # the feed's order
    (AuditEvent, False),  # the same rows; one at a time interleaves creates and reads
]
ASSIGNED = {"id", "event_id", "tx_order", "chain_seq", "prev_hash", "row_hash"}  # by the database, or at random


async def snapshot(session: AsyncSession, names: dict[str, str]) -> dict[str, list[Any]]:
    """Every row of every table an import writes, with ids replaced by what they stand for."""
    connection = await session.connection()
    flags = (await connection.execute(select(BiasFlag.__table__))).mappings().all()  # type: ignore[attr-defined]
    of = {str(f["id"]): names.get(str(f["notification_id"]), str(f["notification_id"])) for f in flags}
    names = names | {str(f["id"]): f"flag of {of[str(f['id'])]}: {f['evidence']['matched']}" for f in flags}

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, uuid.UUID | str) and str(value) in names:
            return names[str(value)]
        return value

    found = {}
    for model, ordered in TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        query = select(table).order_by(table.c.id) if ordered else select(table)
        rows = [
            {k: plain(v) for k, v in row.items() if k not in ASSIGNED or model in (Notification, BiasFlag)}
            for row in (await connection.execute(query)).mappings()
        ]
        found[table.name] = rows if ordered else sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return found


def named(results: list[ItemResult], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{**r.model_dump(), "id": names.get(str(r.id), r.id)} for r in results]


async def test_a_chunk_stores_exactly_what_one_row_at_a_time_stores(world):
    principal, names = await _setup(world)
    async with world.session() as session:
        one_at_a_time = [await record_item(session, principal, i.index, i.raw, START, i.key) for i in _items()]
        names_then = names | {str(r.id): f"line {r.index}" for r in one_at_a_time if r.status == "created"}
        rows_then = await snapshot(session, names_then)
        await session.rollback()
    async with world.session() as session:
        chunked = await record_chunk(session, principal, _items(), START)
        names_now = names | {str(r.id): f"line {r.index}" for r in chunked if r.status == "created"}
        rows_now = await snapshot(session, names_now)
        await session.rollback()

    assert [r.status for r in chunked] == EXPECTED
    assert named(chunked, names_now) == named(one_at_a_time, names_then)
    assert rows_now == rows_then
    # What makes the comparison worth having: each kind of row was written at all.
    notifications = {n["id"]: n for n in rows_now["notification"]}
    assert notifications["line 3"]["open_bias_flags"] == 2
    assert notifications["line 12"]["stage"] == "excluded"
    assert notifications["line 16"]["review_route"] == "child_death_review"
    assert {e["type"] for e in rows_now["outbox_event"]} == {"notification.created", "flag.raised"}
    spans = [s["notification_id"] for s in rows_now["stage_span"] if s["notification_id"].startswith("line")]
    assert spans == ["line 2", "line 3", "line 13", "line 16", "line 18"]  # the excluded one has none
    by_line = named(chunked, names_now)
    assert by_line[6]["id"] == "line 2" and by_line[8]["id"] == "existing in 15F" and by_line[9]["id"] is None
    assert by_line[12]["id"] == "stored by the earlier run" and by_line[7]["id"] == "line 3"
    assert "Idempotency-Key" in str(by_line[13]["errors"])


async def test_a_rerun_of_the_chunk_stores_nothing_more(world):
    principal, _ = await _setup(world)
    async with world.session() as session:
        first = await record_chunk(session, principal, _items(), START)
        await session.commit()
    async with world.session() as session:
        before = {name: len(rows) for name, rows in (await snapshot(session, {})).items()}
        again = await record_chunk(session, principal, _items(), START)
        await session.commit()
        after = {name: len(rows) for name, rows in (await snapshot(session, {})).items()}
    assert [r.status for r in again] == ["already_recorded" if s == "created" else s for s in EXPECTED]
    assert [r.id for r in again if r.status == "already_recorded"] == [
        r.id for r in first if r.status in ("created", "already_recorded")
    ]
    reads = sum(r.status == "already_recorded" for r in again)  # each replay is audited as a read
    refusals = sum(r.status == "refused" for r in again)  # and each refusal again, as a single POST's is
    assert after == before | {"audit_event": before["audit_event"] + reads + refusals}


async def test_a_race_lost_to_another_writer_falls_back_to_one_row_at_a_time(world, monkeypatch):
    """Another writer records a death between the chunk's look-up and its write: the write fails on the
    unique index, and the chunk is redone row by row, which reports the duplicate and stores the rest."""
    principal, _ = await _setup(world)

    async def nothing_recorded(*_: Any) -> dict[Any, Any]:
        return {}  # as if the look-up ran before the other writer committed

    monkeypatch.setattr(bulk, "_recorded_deaths", nothing_recorded)
    new = notification_body(**{"person.nhs_number": nhs(30)})
    rows = [Row(2, new), Row(3, notification_body(**{"person.nhs_number": nhs(10)}))]  # the second: stored already
    results: list[ItemResult] = []

    async def collect(_: Row, result: ItemResult) -> None:
        results.append(result)

    summary = await import_rows(world.app.state.sessionmaker, principal, iter(rows), lambda: START, collect)
    assert [r.status for r in results] == ["created", "duplicate"]
    assert results[1].id is not None
    assert summary.rows == 2


async def test_rows_are_read_and_stored_a_chunk_at_a_time(world):
    """Memory stays flat whatever the file's size: no more than a chunk of rows is ever held."""
    principal, _ = await _setup(world)
    taken = 0

    def rows() -> Iterator[Row]:
        nonlocal taken
        for n in range(25):
            taken += 1
            yield Row(n + 2, notification_body(**{"person.nhs_number": nhs(100 + n)}))

    held: list[int] = []

    async def reported(row: Row, _: ItemResult) -> None:
        held.append(taken - (row.line - 2))  # rows taken from the file but not yet reported

    summary = await import_rows(world.app.state.sessionmaker, principal, rows(), lambda: START, reported, chunk=10)
    assert summary.rows == 25
    assert max(held) <= 10


def test_a_file_is_read_lazily():
    """Rows come out while the file is still being read: an endless file yields its first rows."""

    class Endless:
        def __iter__(self) -> Iterator[bytes]:
            body = json.dumps(notification_body()).encode() + b"\n"
            return itertools.repeat(body)

    first = list(itertools.islice(read_rows(Endless(), Path("endless.jsonl")), 3))  # type: ignore[arg-type]
    assert [row.line for row in first] == [1, 2, 3]


def test_the_error_report_names_each_rejected_line_and_why(run, tmp_path, settings):  # noqa: F811
    client = setup_client(run)
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        writer.writerow(csv_row("9990000018"))  # line 2: created
        writer.writerow(csv_row("9990000018", **{"person.given_name": "Jo"}))  # 3: duplicate of line 2
        writer.writerow(csv_row("9990000026", **{"death.date_of_death": "2099-01-01"}))  # 4: in the future
        writer.writerow(csv_row("9990000034", area_ods="14L"))  # 5: not the client's area
        writer.writerow(csv_row("9990000042", area_ods="99Z"))  # 6: no such area
        writer.writerow(csv_row("9990000018"))  # 7: line 2 again
    result = run("import", str(path), "--client", client)
    assert "6 rows: 1 created, 1 already recorded, 1 duplicate, 2 invalid, 1 refused" in result.output
    with (tmp_path / "mixed.csv.errors.csv").open() as report:
        rejected = list(csv.DictReader(report))
    text = (tmp_path / "mixed.csv.errors.csv").read_text()
    assert [(r["line"], r["status"]) for r in rejected] == [
        ("3", "duplicate"), ("4", "invalid"), ("5", "refused"), ("6", "invalid"),
    ]  # fmt: skip
    assert rejected[0]["reason"].startswith("A notification for this NHS number and date of death exists.")
    assert "existing notification" in rejected[0]["reason"]
    assert rejected[1]["reason"] == "death.date_of_death: is in the future"
    assert rejected[2]["reason"] == "You may not record notifications for this area."
    assert rejected[3]["reason"] == "area_ods: no such area"
    assert "9990000018" not in text  # no echo of what was sent
    assert count(settings) == 1
