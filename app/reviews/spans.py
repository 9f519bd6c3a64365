"""Keeping each review's stage spans (app.reviews.models.StageSpan) in step with its stage."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reviews.models import STILL_OPEN, StageSpan
from app.reviews.stages import OPEN_STAGES


def start(session: AsyncSession, notification: Notification, stage: Stage, on: date) -> None:
    """The review entered `stage` on `on`; a closed stage starts no span."""
    row = span_row(notification.id, notification.area_ods, notification.notified_on, stage, on)
    if row is not None:
        session.add(StageSpan(**row))


def span_row(
    notification_id: uuid.UUID, area_ods: str, notified_on: date, stage: Stage, on: date
) -> dict[str, Any] | None:
    """The columns of the span a review entering `stage` on `on` starts; None for a closed stage.
    For `start`, and for rows written many at a time (app/notifications/bulk.py)."""
    if stage not in OPEN_STAGES:
        return None
    return {
        "notification_id": notification_id,
        "area_ods": area_ods,
        "stage": stage,
        "started_on": on,
        "notified_on": notified_on,
    }


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
