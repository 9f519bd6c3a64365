"""Counting attempts for rate limits (wrong family codes, failed client logins), in the database so that
every API process sees the same counts: nothing here lives in one process's memory."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db import one_at_a_time
from app.core.models import utc_field


class RateLimitEvent(SQLModel, table=True):
    """One counted attempt, under a key naming what is limited (a client, a code, an address)."""

    __tablename__ = "rate_limit_event"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, index=True)
    at: datetime = utc_field(index=True)


async def backoff(
    session: AsyncSession, key: str, free: int, window: timedelta, cap: timedelta, now: datetime
) -> int | None:
    """Seconds to wait before the next attempt under `key`, or None to go ahead.

    The first `free` failures in `window` cost nothing; then each waits 1, 2, 4... seconds after the latest
    failure, never more than `cap`. So an attempt that would succeed (a right secret from an address someone
    else is guessing from) is never held back longer than `cap`, while guessing stays slow. Callers count only
    the failures they actually checked (`count_attempt`), not attempts refused while waiting.
    """
    await one_at_a_time(session, key)
    query = select(func.count(), func.max(RateLimitEvent.at)).where(
        RateLimitEvent.key == key, col(RateLimitEvent.at) > now - window
    )
    count, latest = (await session.exec(query)).one()
    if int(count) < free or latest is None:
        return None
    wait = min(timedelta(seconds=2 ** min(int(count) - free, 30)), cap)
    remaining = (latest + wait - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def count_attempt(session: AsyncSession, key: str, now: datetime) -> None:
    session.add(RateLimitEvent(key=key[:100], at=now))
