"""Claiming a row's next version: the database-side half of If-Match."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.etag import PreconditionFailed


async def claim_version(session: AsyncSession, row: Any, expected: int) -> None:
    """Move `row` (with a `version` column) to the next version only if it is still at `expected`, else 412.

    The WHERE clause makes the database do the check, so two processes racing on one row cannot both
    win: PostgreSQL makes the second UPDATE wait for the first to commit, then match nothing.
    """
    if row.version != expected:
        raise PreconditionFailed("This has changed since you read it; read it again.")
    model = type(row)
    (key,) = inspect(model).primary_key
    result = await session.exec(
        update(model)
        .where(key == getattr(row, key.key), model.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PreconditionFailed("This has changed since you read it; read it again.")
    set_committed_value(row, "version", expected + 1)
