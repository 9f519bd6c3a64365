"""An area's population with a learning disability by ethnic category: read from a CSV, stored whole.

The CSV is what an admin can export from a spreadsheet: a header `ethnic_category,count`, then one row per
NHS ethnic category code (A to S, Z for not stated) with a whole number of people. Every problem is
reported at once, by line number, and nothing is stored unless the whole file is good; a good file replaces
the area's previous figures in the request's one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.service import get_area
from app.core.errors import FieldError, InvalidInput, ProblemError
from app.notifications.enums import EthnicCategory
from app.reports.models import AreaPopulation

HEADER: Final = ("ethnic_category", "count")
MAX_CSV_BYTES: Final = 4096  # 17 categories need a few hundred bytes; this leaves room for spreadsheet habits
MAX_PEOPLE: Final = 10_000_000  # more than England's population with a learning disability
_WHOLE_NUMBER = re.compile(r"[0-9]+")
MEDIA_TYPES: Final = ("text/csv", "text/plain")


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported Media Type"


def check_media_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise UnsupportedMediaType("Send the population as CSV (Content-Type: text/csv).")


def parse_population_csv(raw: bytes) -> dict[EthnicCategory, int]:
    """People by ethnic category; raises InvalidInput naming each bad line.

    A file over MAX_CSV_BYTES is invalid input (422), not 413: the spec publishes that bound as the body's
    maxLength, and a body breaking its schema is a 422 here like any other."""
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput([_error(None, f"is longer than {MAX_CSV_BYTES} bytes, the most a population CSV may be")])
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not part of the header
    except UnicodeDecodeError:
        raise InvalidInput([_error(None, "is not UTF-8 text")]) from None
    # newline="" hands line ends to the csv module, which reads a lone CR (old Mac spreadsheets) as one;
    # without it a CR inside a line raises csv.Error, a 500
    lines = csv.reader(io.StringIO(text, newline=""))
    rows = [(number, row) for number, row in enumerate(lines, start=1) if any(row)]
    errors: list[FieldError] = []
    if not rows or tuple(cell.strip().lower() for cell in rows[0][1]) != HEADER:
        errors.append(_error(1, "the first line must be the header `ethnic_category,count`"))
    counts: dict[EthnicCategory, int] = {}
    first_seen: dict[EthnicCategory, int] = {}
    for number, row in rows[1:]:
        if len(row) != len(HEADER):
            errors.append(_error(number, f"has {len(row)} fields; expected 2: an ethnic category and a count"))
            continue
        code, count = (cell.strip() for cell in row)
        try:
            category = EthnicCategory(code.upper())
        except ValueError:
            errors.append(_error(number, "the ethnic category must be an NHS code: A to S (no I, O, Q), or Z"))
            continue
        if category in first_seen:
            errors.append(_error(number, f"{category.value} is given again (first on line {first_seen[category]})"))
            continue
        first_seen[category] = number
        if not _WHOLE_NUMBER.fullmatch(count) or int(count) > MAX_PEOPLE:
            errors.append(_error(number, f"the count must be a whole number from 0 to {MAX_PEOPLE}"))
            continue
        counts[category] = int(count)
    if not errors and not counts:
        errors.append(_error(None, "has no rows after the header"))
    if errors:
        raise InvalidInput(errors, detail=f"The population CSV has {len(errors)} problem(s); nothing was stored.")
    return counts


def _error(line: int | None, message: str) -> FieldError:
    return FieldError(field=f"line {line}" if line else "body", location="body", message=message)


async def replace_population(
    session: AsyncSession, ods: str, counts: dict[EthnicCategory, int], *, now: datetime, by: str
) -> list[AreaPopulation]:
    await get_area(session, ods)  # 404 for an unknown area
    await session.exec(delete(AreaPopulation).where(col(AreaPopulation.area_ods) == ods))
    rows = [
        AreaPopulation(area_ods=ods, ethnic_category=category.value, people=people, loaded_at=now, loaded_by=by)
        for category, people in sorted(counts.items())
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def read_population(session: AsyncSession, ods: str) -> Sequence[AreaPopulation]:
    await get_area(session, ods)
    query = select(AreaPopulation).where(AreaPopulation.area_ods == ods).order_by(col(AreaPopulation.ethnic_category))
    return (await session.exec(query)).all()
