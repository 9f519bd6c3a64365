"""How far behind the outbox is: events not yet in the feed, not yet fanned out, not yet delivered.

For metrics and alerts (an outbox that only grows means a stopped relay or worker). Kept apart from
app/events/service.py, which the webhooks package imports: this reads the webhooks' tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.events.models import OutboxEvent
from app.webhooks.fanout import FAN_OUT
from app.webhooks.models import FeedPosition, WebhookDelivery
from app.webhooks.schemas import DeliveryStatus


@dataclass(frozen=True)
class OutboxBacklog:
    """How far behind the outbox is, for metrics and alerts. Ages are seconds since the oldest such
    event occurred; 0 when there is none."""

    unplaced: int  # committed events the relay has not yet placed in the change feed
    oldest_unplaced_seconds: float
    not_fanned_out: int  # placed events the webhook fan-out has not yet turned into deliveries
    pending_deliveries: int  # webhook deliveries neither delivered nor dead (due, retrying, or claimed)
    oldest_pending_delivery_seconds: float

    @property
    def oldest_undelivered_seconds(self) -> float:
        """The age of the oldest event still on its way to someone: the feed or a webhook receiver."""
        return max(self.oldest_unplaced_seconds, self.oldest_pending_delivery_seconds)


async def outbox_backlog(session: AsyncSession, now: datetime) -> OutboxBacklog:
    """The backlog, in three small queries (each on an index: unplaced events, positions, due deliveries)."""
    position = col(OutboxEvent.position)
    unplaced, oldest_unplaced = (
        await session.exec(select(func.count(), func.min(OutboxEvent.occurred_at)).where(position.is_(None)))
    ).one()
    fanned_to = select(func.coalesce(func.max(FeedPosition.position), 0)).where(FeedPosition.name == FAN_OUT)
    not_fanned_out = (await session.exec(select(func.count()).where(position > fanned_to.scalar_subquery()))).one()
    pending, oldest_pending = (
        await session.exec(
            select(func.count(), func.min(OutboxEvent.occurred_at))
            .select_from(WebhookDelivery)
            .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
            .where(WebhookDelivery.status == DeliveryStatus.pending.value)
        )
    ).one()
    return OutboxBacklog(
        unplaced=int(unplaced),
        oldest_unplaced_seconds=_age(oldest_unplaced, now),
        not_fanned_out=int(not_fanned_out),
        pending_deliveries=int(pending),
        oldest_pending_delivery_seconds=_age(oldest_pending, now),
    )


def _age(oldest: datetime | None, now: datetime) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
