"""Retention: the worker deletes rows that have outlived their purpose, in short batches.

- `rate_limit_event`: an attempt counts only inside its rate-limit window, so rows older than the
  longest window (`LEDER_FAMILY_CODE_WINDOW_SECONDS`, `LEDER_TOKEN_FAILURE_WINDOW_SECONDS`) count for
  nothing; they also name addresses, so they go as soon as they are useless.
- `idempotency_record`: older than `LEDER_IDEMPOTENCY_RETENTION_DAYS`. A retry with such a key (or a
  re-run import file) is then treated as new; the death's own uniqueness still refuses a second
  notification of a death with an NHS number.
- `webhook_delivery`: delivered more than `LEDER_WEBHOOK_DELIVERY_RETENTION_DAYS` ago. Pending ones are
  work, and dead ones are kept for replay.

Nothing else is pruned: above all not the audit trail (removing a row breaks the hash chain, and the
trail is the record of who saw what) nor findings versions (the history of a review's judgements);
docs/operations.md gives the retention of every table. Each batch is its own transaction, so rows are
locked briefly and a worker stopped half-way simply continues next time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.rate_limits import RateLimitEvent
from app.idempotency.models import IdempotencyRecord
from app.webhooks.models import WebhookDelivery
from app.webhooks.schemas import DeliveryStatus

PRUNE_BATCH = 5000


@dataclass(frozen=True)
class Pruned:
    rate_limit_events: int = 0
    idempotency_records: int = 0
    webhook_deliveries: int = 0


def longest_rate_limit_window(settings: Settings) -> timedelta:
    return timedelta(seconds=max(settings.family_code_window_seconds, settings.token_failure_window_seconds))


async def prune(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    settings: Settings,
    batch: int = PRUNE_BATCH,
    keep_going: Callable[[], bool] = lambda: True,
    between_batches: Callable[[], Awaitable[None]] | None = None,
) -> Pruned:
    """Delete what is past its retention; returns how many rows of each table."""

    async def expired(model: type[SQLModel], key: Any, old: ColumnElement[bool]) -> int:
        total = 0
        while keep_going():
            async with sessionmaker() as session:
                oldest = select(key).where(old).limit(batch).scalar_subquery()
                gone = await session.exec(delete(model).where(key.in_(oldest)))
                await session.commit()
            total += gone.rowcount
            if gone.rowcount < batch:
                break
            if between_batches is not None:
                await between_batches()
        return total

    delivered = col(WebhookDelivery.status) == DeliveryStatus.delivered.value
    delivered_before = now - timedelta(days=settings.webhook_delivery_retention_days)
    return Pruned(
        rate_limit_events=await expired(
            RateLimitEvent,
            col(RateLimitEvent.id),
            col(RateLimitEvent.at) < now - longest_rate_limit_window(settings),
        ),
        idempotency_records=await expired(
            IdempotencyRecord,
            col(IdempotencyRecord.id),
            col(IdempotencyRecord.created_at) < now - timedelta(days=settings.idempotency_retention_days),
        ),
        webhook_deliveries=await expired(
            WebhookDelivery,
            col(WebhookDelivery.id),
            delivered & (col(WebhookDelivery.delivered_at) < delivered_before),
        ),
    )
