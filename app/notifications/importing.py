"""`leder import FILE`: notifications from CSV or JSON Lines, streamed, each row on its own.

JSON Lines: one notification per line, as for `POST /notifications`. CSV: a header of dotted field
names (`person.nhs_number`, `death.cause_of_death.part_1`, ...); see `FLAT_LISTS` and `FLAT_BOOLEANS`
for the cells that hold lists or yes/no. Rows are read one at a time and stored `chunk` rows per
transaction, each chunk checked and written set-based (bulk.py), so memory stays the same whatever the
file's size. A row's idempotency key is the hash of its content, so running the same file again (after
a crash, say) stores nothing twice and reports those rows as already recorded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.service import Principal
from app.notifications.batch import ItemResult, ItemStatus, record_item
from app.notifications.bulk import Item, record_chunk

# Cells holding lists: cause-of-death lines separated by "|", each "text [ICD-10]"; others by ";".
FLAT_CAUSE_LINES = {"death.cause_of_death.part_1", "death.cause_of_death.part_2"}
FLAT_LISTS = {"death.other_processes", "care_providers"}
FLAT_BOOLEANS = {
    "person.autism",
    "person.lived_alone",
    "person.out_of_area_placement",
    "death.died_in_england",
    "death.dnacpr.in_place",
    "national_data_opt_out",
}
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}
_CAUSE_LINE = re.compile(r"^(?P<text>.*?)\s*(?:\[(?P<code>[^\]]*)\])?$")


@dataclass
class ImportSummary:
    rows: int = 0
    counts: dict[ItemStatus, int] = field(default_factory=lambda: dict.fromkeys(ItemStatus, 0))


def row_from_csv(flat: Mapping[str, str | None]) -> dict[str, Any]:
    """A CSV row (dotted headers) as the nested body `POST /notifications` takes. Empty cells are
    left out; a cell that is not a yes/no where one is needed is passed on for validation to refuse."""
    nested: dict[str, Any] = {}
    for path, cell in flat.items():
        text = (cell or "").strip()
        if not path or not text:
            continue
        value: Any = text
        if path in FLAT_BOOLEANS:
            value = True if text.lower() in _TRUE else False if text.lower() in _FALSE else text
        elif path in FLAT_CAUSE_LINES:
            value = [_cause_line(line) for line in text.split("|") if line.strip()]
        elif path in FLAT_LISTS:
            value = [item.strip() for item in text.split(";") if item.strip()]
        target = nested
        *parents, leaf = _path(path)
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target[leaf] = value
    return nested


@lru_cache(maxsize=256)
def _path(header: str) -> tuple[str, ...]:
    return tuple(header.split("."))  # once per header, not once per cell


def _cause_line(line: str) -> dict[str, str]:
    found = _CAUSE_LINE.match(line.strip())
    assert found is not None  # the pattern matches any text
    return {"text": found["text"], **({"icd10": found["code"]} if found["code"] else {})}


@dataclass(frozen=True)
class Row:
    line: int
    body: Any  # what validation will judge; None when the line could not be read at all
    problem: str | None = None


def read_rows(stream: IO[bytes], path: Path) -> Iterator[Row]:
    """Rows of a `.csv` file, or else JSON Lines, one at a time (the file is never held in memory).
    A line that cannot be read (not UTF-8, not JSON, too deep, a cell over the CSV limit) becomes a
    row with its problem, and reading goes on."""
    yield from _csv_rows(stream) if path.suffix.lower() == ".csv" else _json_lines(stream)


def _csv_rows(stream: IO[bytes]) -> Iterator[Row]:
    unreadable: list[Row] = []

    def text_lines() -> Iterator[str]:
        for number, raw in enumerate(stream, start=1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                unreadable.append(Row(number, None, "the line is not UTF-8 text"))
                yield "\n"  # keeps the reader's line count; an empty row is skipped

    reader = csv.DictReader(text_lines())
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Row(reader.line_num, None, f"not readable as CSV: {exc}"[:200])
            continue
        yield from unreadable
        unreadable.clear()
        if None in record:  # more cells than headers
            yield Row(reader.line_num, None, "the row has more cells than the header")
        else:
            yield Row(reader.line_num, row_from_csv(record))
    yield from unreadable


def _json_lines(stream: IO[bytes]) -> Iterator[Row]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            body = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError:
            yield Row(number, None, "the line is not UTF-8 text")
            continue
        except json.JSONDecodeError as exc:
            yield Row(number, None, f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        except (ValueError, RecursionError):
            yield Row(number, None, "not JSON this service can read (too deep, or a number too long)")
            continue
        yield Row(number, body) if isinstance(body, dict) else Row(number, None, "not a JSON object")


def row_key(body: Any) -> str:
    """The row's idempotency key: the same content gives the same key, whichever run or file."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return "import:" + hashlib.sha256(canonical.encode()).hexdigest()


async def import_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: Principal,
    rows: Iterator[Row],
    now: Callable[[], datetime],
    on_result: Callable[[Row, ItemResult], Awaitable[None]],
    chunk: int = 1000,
) -> ImportSummary:
    """Store the rows, `chunk` per transaction; `on_result` hears about every row, in order."""
    summary = ImportSummary()
    while batch := [row for _, row in zip(range(chunk), rows, strict=False)]:
        readable = [Item(row.line, row.body, row_key(row.body)) for row in batch if row.body is not None]
        stored = iter(await _store(sessionmaker, principal, readable, now()))
        for row in batch:  # reported once committed: the report never claims a rolled-back row
            if row.body is None:
                result = ItemResult(index=row.line, status=ItemStatus.invalid, detail=row.problem)
            else:
                result = next(stored)
            summary.rows += 1
            summary.counts[result.status] += 1
            await on_result(row, result)
    return summary


async def _store(
    sessionmaker: async_sessionmaker[AsyncSession], principal: Principal, items: list[Item], now: datetime
) -> list[ItemResult]:
    async with sessionmaker() as session:
        try:
            results = await record_chunk(session, principal, items, now)
            await session.commit()
        except IntegrityError:
            # Another writer recorded one of these deaths or rows after the chunk was checked. Row by
            # row, each in a savepoint, the rest are stored and the race is reported where it happened.
            await session.rollback()
            results = [await record_item(session, principal, i.index, i.raw, now, i.key) for i in items]
            await session.commit()
    return results
