"""The SLA sweep: announce each review's crossing into "at risk" and into "breached" exactly once.

Set-based and in chunks of notifications (by id), each chunk its own short transaction: one query
finds the rows whose state differs from what was last announced (locking them, skipping rows an API
request holds; the next sweep gets those), one insert writes their events, and their sla_alert rows
are replaced. A state that falls back (a hold moved the due date) is recorded without an event, so
the next rise is a new crossing and is announced again. Restarting the sweep repeats nothing: the
record is the sla_alert row.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import ColumnElement, case, delete, literal, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.bulk_insert import insert_rows
from app.core.db import READ_ONLY_OPTION
from app.events.models import OutboxEvent
from app.events.service import EventType
from app.notifications.models import Notification
from app.reviews.stages import OPEN_STAGES
from app.sla.clock import SlaState
from app.sla.service import live_due_ordinal, state_filter
from app.worker.models import SlaAlert

_RANK = {None: 0, SlaState.at_risk.value: 1, SlaState.breached.value: 2}
_EVENT = {SlaState.at_risk.value: EventType.sla_at_risk, SlaState.breached.value: EventType.sla_breached}


def alert_state(today: date, at_risk_days: int) -> ColumnElement[str | None]:
    """In SQL: 'breached', 'at_risk', or NULL (on track, or closed), as of `today`."""
    return case(
        (state_filter(SlaState.breached, today, at_risk_days), literal(SlaState.breached.value)),
        (state_filter(SlaState.at_risk, today, at_risk_days), literal(SlaState.at_risk.value)),
        else_=None,
    )


@dataclass
class SweepResult:
    differing: int = 0  # found by the scan
    examined_chunks: int = 0
    changed: int = 0
    announced: int = 0
    longest_chunk_seconds: float = 0.0  # the longest any chunk's row locks were held
    actions_announced: int = 0  # action.overdue events (app/actions/sweep.py, run after the SLA sweep)


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession],
    today: date,
    now: datetime,
    at_risk_days: int,
    chunk_size: int = 5000,
    keep_going: Callable[[], bool] = lambda: True,
    on_chunk: Callable[[SweepResult], Awaitable[None]] | None = None,
) -> SweepResult:
    """Sweep every open notification; stops between chunks when `keep_going()` turns false.
    `on_chunk` hears when the scan begins, then after every chunk.

    One scan (no locks) finds the reviews whose state differs from what was announced; most days that
    is a small share of them. Those are then changed in chunks, each re-checked under its row locks."""
    result = SweepResult()
    async with sessionmaker() as scan:
        # A read that takes no write lock (SQLite) and streams (PostgreSQL: a server-side cursor), so
        # the ids are never all in memory; each chunk is changed in a transaction of its own.
        connection = await scan.connection(execution_options={READ_ONLY_OPTION: True})
        differing = (
            select(col(Notification.id)).outerjoin(SlaAlert, _alert_of()).where(_open(), _differs(today, at_risk_days))
        )
        rows = await connection.stream(differing.execution_options(yield_per=chunk_size))
        if on_chunk is not None:
            await on_chunk(result)  # the scan has begun; it holds no locks
        async for partition in rows.partitions(chunk_size):
            if not keep_going():
                break
            result.differing += len(partition)
            started = time.perf_counter()
            async with sessionmaker() as session:
                ids = [row[0] for row in partition]
                changed, announced = await _sweep_chunk(session, ids, today, now, at_risk_days)
                await session.commit()
            result.longest_chunk_seconds = max(result.longest_chunk_seconds, time.perf_counter() - started)
            result.examined_chunks += 1
            result.changed += changed
            result.announced += announced
            if on_chunk is not None:
                await on_chunk(result)
        await rows.close()
        await scan.commit()
    return result


def _open() -> ColumnElement[bool]:
    return col(Notification.stage).in_([s.value for s in OPEN_STAGES])


def _alert_of() -> ColumnElement[bool]:
    """Each notification's announced state, for an outer join: no row, nothing announced."""
    return col(SlaAlert.notification_id) == col(Notification.id)


def _announced() -> ColumnElement[str | None]:
    """The state last announced: NULL where the outer join found no sla_alert row."""
    return cast(ColumnElement[str | None], col(SlaAlert.state))


def _differs(today: date, at_risk_days: int) -> ColumnElement[bool]:
    return alert_state(today, at_risk_days).is_distinct_from(_announced())


async def _sweep_chunk(
    session: AsyncSession, ids: list[uuid.UUID], today: date, now: datetime, at_risk_days: int
) -> tuple[int, int]:
    state = alert_state(today, at_risk_days)
    due = live_due_ordinal(today)
    changed_rows = (
        select(
            col(Notification.id),
            col(Notification.area_ods),
            col(Notification.stage),
            _announced().label("announced"),
            state.label("state"),
            due.label("due"),
        )
        .outerjoin(SlaAlert, _alert_of())
        .where(col(Notification.id).in_(ids), _open(), _differs(today, at_risk_days))  # again, under the lock
        # The notification rows: whoever holds them may be changing the clock. PostgreSQL only; SQLite's
        # one writer needs no row locks.
        .with_for_update(of=Notification, skip_locked=True)
    )
    rows = (await (await session.connection()).execute(changed_rows)).all()
    if not rows:
        return 0, 0
    rising = [r for r in rows if _RANK[r.state] > _RANK[r.announced]]
    if rising:
        await insert_rows(
            session,
            OutboxEvent,
            [
                {
                    "event_id": uuid.uuid4(),
                    "type": _EVENT[r.state].value,
                    "occurred_at": now,
                    "notification_id": r.id,
                    "area_ods": r.area_ods,
                    "payload": {"stage": r.stage, "due_on": date.fromordinal(r.due).isoformat()},
                }
                for r in rising
            ],
        )
    await session.exec(delete(SlaAlert).where(col(SlaAlert.notification_id).in_([r.id for r in rows])))
    alerts = [{"notification_id": r.id, "state": r.state} for r in rows if r.state is not None]
    await insert_rows(session, SlaAlert, alerts)
    return len(rows), len(rising)
