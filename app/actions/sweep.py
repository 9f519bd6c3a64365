"""The worker's overdue sweep: each action that passes its due date unfinished is announced once.

One UPDATE-then-insert per chunk in its own transaction; the record is the action's overdue_announced_for
(the due date announced), so a restart repeats nothing and a moved due date that passes is announced again."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actions.models import PlanAction
from app.actions.rules import OPEN_STATUSES
from app.actions.service import event_row
from app.events.service import EventType


async def announce_overdue(
    sessionmaker: async_sessionmaker[AsyncSession], today: date, now: datetime, chunk_size: int = 500
) -> int:
    announced = 0
    while True:
        async with sessionmaker() as session, session.begin():
            query = (
                select(PlanAction)
                .where(
                    col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]),
                    col(PlanAction.due_on) < today,
                    or_(
                        col(PlanAction.overdue_announced_for).is_(None),
                        col(PlanAction.overdue_announced_for) != col(PlanAction.due_on),
                    ),
                )
                .order_by(col(PlanAction.due_on), col(PlanAction.id))
                .limit(chunk_size)
                .with_for_update(skip_locked=True)
            )
            rows = (await session.exec(query)).all()
            for action in rows:
                action.overdue_announced_for = action.due_on
                session.add(action)
                session.add(event_row(EventType.action_overdue, action, now, days_overdue=(today - action.due_on).days))
            announced += len(rows)
        if len(rows) < chunk_size:
            return announced
