"""Leases: a named job held by one worker at a time, renewed while it lives, lapsing when it dies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.worker.models import WorkerLease


async def acquire(session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease is live. Commits."""
    taken = await session.exec(
        update(WorkerLease)
        .where(
            col(WorkerLease.name) == name,
            or_(col(WorkerLease.holder) == holder, col(WorkerLease.expires_at) <= now),
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:
        await session.commit()
        return True
    if await session.get(WorkerLease, name) is not None:
        await session.rollback()
        return False  # held, and live
    session.add(WorkerLease(name=name, holder=holder, expires_at=now + ttl))
    try:
        await session.commit()
    except IntegrityError:  # another worker created it first
        await session.rollback()
        return False
    return True


async def release(session: AsyncSession, name: str, holder: str) -> None:
    await session.exec(delete(WorkerLease).where(col(WorkerLease.name) == name, col(WorkerLease.holder) == holder))
    await session.commit()
