"""The change feed: events in commit order, resumable from any cursor, with no gaps and no repeats.

Ids alone are not commit order on PostgreSQL: a transaction can take id 5, another id 6 and commit
first. So events are ordered by (writing transaction id, id), and the feed serves only events of
transactions older than every transaction still running (the snapshot's xmin): nothing can appear
later before a cursor already handed out. On SQLite, writers take turns, so the id is the order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, literal_column, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import invalid_field
from app.events.models import OutboxEvent

_CURSOR = re.compile(r"^(\d{1,19})\.(\d{1,19})$")


@dataclass(frozen=True, order=True)
class Cursor:
    tx_order: int
    id: int

    def __str__(self) -> str:
        return f"{self.tx_order}.{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls(0, 0)
        found = _CURSOR.match(text)
        if found is None or int(found[1]) >= 2**63 or int(found[2]) >= 2**31:  # bigint, integer
            raise invalid_field("after", "is not a cursor this feed gave out", location="query")
        return cls(int(found[1]), int(found[2]))


def cursor_of(event: OutboxEvent) -> Cursor:
    assert event.tx_order is not None and event.id is not None
    return Cursor(event.tx_order, event.id)


async def read_feed(
    session: AsyncSession, after: Cursor, limit: int, areas: Sequence[str] | None
) -> Sequence[OutboxEvent]:
    """Events after the cursor, in commit order: of these areas, or of all (`None`, for the worker)."""
    tx, ident = col(OutboxEvent.tx_order), col(OutboxEvent.id)
    in_areas = true() if areas is None else col(OutboxEvent.area_ods).in_(sorted(areas))
    query = (
        select(OutboxEvent)
        .where(
            or_(tx > after.tx_order, and_(tx == after.tx_order, ident > after.id)),
            in_areas,
            await _settled(session),
        )
        .order_by(tx, ident)
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def _settled(session: AsyncSession) -> ColumnElement[bool]:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return true()
    # Evaluated in the same statement (so the same snapshot) as the rows it filters.
    horizon: ColumnElement[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return col(OutboxEvent.tx_order) < horizon
