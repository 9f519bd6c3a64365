"""The change feed: events in the order they became visible, resumable from any cursor, with no gaps
and no repeats.

Readers page by `position`, which the relay (app/events/relay.py) gives each event after its
transaction committed, in one short transaction at a time. A reader's snapshot therefore sees a
prefix of the positions: every position up to the highest it sees is already there, and whatever
commits later is placed after it. Nothing running elsewhere (another transaction, in this database
or another on the cluster) holds the feed back; the cursor is simply the last position read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import InvalidInput, invalid_field
from app.events.models import OutboxEvent

_CURSOR = re.compile(r"^\d{1,19}$")
# Cursors the feed gave out before the relay: "writing transaction.event id". Still accepted, so an
# integrator who stored one resumes where it was (the migration placed every earlier event in that order).
_LEGACY_CURSOR = re.compile(r"^(\d{1,19})\.(\d{1,10})$")
_BIGINT = 2**63


def _refused() -> InvalidInput:
    return invalid_field("after", "is not a cursor this feed gave out", location="query")


async def resolve_cursor(session: AsyncSession, text: str | None) -> int:
    """The position a cursor stands for: 0 (the start) for none."""
    if not text:
        return 0
    if _CURSOR.match(text):
        if int(text) >= _BIGINT:
            raise _refused()
        return int(text)
    legacy = _LEGACY_CURSOR.match(text)
    if legacy is None or int(legacy[1]) >= _BIGINT or int(legacy[2]) >= 2**31:
        raise _refused()
    if int(legacy[2]) == 0:
        return 0
    found = await session.exec(select(OutboxEvent.position).where(OutboxEvent.id == int(legacy[2])))
    position = found.first()
    if position is None:
        raise _refused()
    return position


def cursor_of(event: OutboxEvent) -> str:
    assert event.position is not None
    return str(event.position)


async def read_feed(
    session: AsyncSession, after: int, limit: int, areas: Sequence[str] | None
) -> Sequence[OutboxEvent]:
    """Placed events after the position, in feed order: of these areas, or of all (`None`, for the fan-out)."""
    position = col(OutboxEvent.position)
    in_areas = true() if areas is None else col(OutboxEvent.area_ods).in_(sorted(areas))
    query = select(OutboxEvent).where(position > after, in_areas).order_by(position).limit(limit)
    return (await session.exec(query)).all()
