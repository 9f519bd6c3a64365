"""Writing outbox events (in the transaction of the change), and reading them back as a change feed."""

from __future__ import annotations

import uuid
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
    action_created = "action.created"
    action_updated = "action.updated"
    action_overdue = "action.overdue"


async def emit(
    session: AsyncSession, type_: EventType, notification: Notification, at: datetime, **payload: Any
) -> None:
    row = event_row(type_, notification.id, notification.area_ods, notification.stage, at, payload)
    session.add(OutboxEvent(**row))


def event_row(
    type_: EventType, notification_id: uuid.UUID, area_ods: str, stage: str, at: datetime, payload: dict[str, Any]
) -> dict[str, Any]:
    """An outbox event's columns: for `emit`, and for rows written many at a time (app/notifications/bulk.py)."""
    return {
        "type": type_.value,
        "occurred_at": at,
        "notification_id": notification_id,
        "area_ods": area_ods,
        "payload": {"stage": stage, **payload},
    }
