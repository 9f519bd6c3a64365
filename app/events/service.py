"""Writing outbox events (in the transaction of the change), and reading them back as a change feed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.events.models import OutboxEvent
from app.notifications.models import Notification


class EventType(StrEnum):
    notification_created = "notification.created"
    notification_allocated = "notification.allocated"
    notification_reallocated = "notification.reallocated"
    stage_changed = "notification.stage_changed"
    put_on_hold = "notification.put_on_hold"
    resumed = "notification.resumed"
    review_completed = "review.completed"
    flag_raised = "flag.raised"
    flag_dismissed = "flag.dismissed"
    concern_raised = "concern.raised"
    family_summary_released = "family_summary.released"
    sla_at_risk = "sla.at_risk"
    sla_breached = "sla.breached"


async def emit(
    session: AsyncSession, type_: EventType, notification: Notification, at: datetime, **payload: Any
) -> None:
    session.add(
        OutboxEvent(
            type=type_.value,
            occurred_at=at,
            notification_id=notification.id,
            area_ods=notification.area_ods,
            payload={"stage": notification.stage, **payload},
        )
    )
