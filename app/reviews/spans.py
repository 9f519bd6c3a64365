"""Keeping each review's stage spans (app.reviews.models.StageSpan) in step with its stage."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reviews.models import STILL_OPEN, StageSpan
from app.reviews.stages import OPEN_STAGES


def start(session: AsyncSession, notification: Notification, stage: Stage, on: date) -> None:
    """The review entered `stage` on `on`; a closed stage starts no span."""
    if stage in OPEN_STAGES:
        span = StageSpan(
            notification_id=notification.id,
            area_ods=notification.area_ods,
            stage=stage,
            started_on=on,
            notified_on=notification.notified_on,
        )
        session.add(span)


async def move(session: AsyncSession, notification: Notification, to: Stage, on: date) -> None:
    """End the open span on `on` and start the next. Several moves in one day leave empty spans, which
    no date falls inside."""
    await session.exec(
        update(StageSpan)
        .where(StageSpan.notification_id == notification.id)  # type: ignore[arg-type]
        .where(StageSpan.ended_on == STILL_OPEN)  # type: ignore[arg-type]
        .values(ended_on=on)
    )
    start(session, notification, to, on)
