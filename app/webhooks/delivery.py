"""Delivering webhooks: claim what is due, send it, record the answer. Run by `leder worker`.

At least once: a delivery is recorded only after the receiver answered, so a worker that dies
between sending and recording leaves a claim that lapses, and the delivery is sent again (receivers
deduplicate on `webhook-id`, the event's id). Several workers share the work: deliveries are claimed
with `FOR UPDATE SKIP LOCKED`. Nothing a receiver does (or a URL holds) may stop the worker: every
failure becomes an outcome to record.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from standardwebhooks.webhooks import Webhook

from app.core.config import Settings
from app.events.models import OutboxEvent
from app.events.views import webhook_body
from app.metrics import process as metrics
from app.webhooks.destinations import RefusedDestination, check_destination, pinned_request
from app.webhooks.fanout import live_endpoints
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus

_SECONDS = re.compile(r"^\s*(\d{1,9})\s*$")


@dataclass(frozen=True)
class Job:
    delivery_id: int
    url: str
    secret: str
    event: OutboxEvent
    attempts: int
    scopes: frozenset[str] = frozenset()  # the endpoint's client's, at claim time


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession], holder: str, now: datetime, settings: Settings, limit: int = 20
) -> list[Job]:
    """Claim deliveries that are due (and not claimed by a live worker). Those whose endpoint was
    switched off meanwhile are not sent: they become dead letters, which can be replayed."""
    async with sessionmaker() as session:
        due = (
            select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
            .where(
                WebhookDelivery.status == DeliveryStatus.pending.value,
                col(WebhookDelivery.next_attempt_at) <= now,
                or_(col(WebhookDelivery.claimed_until).is_(None), col(WebhookDelivery.claimed_until) <= now),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
        rows = (await session.exec(due)).all()
        live = {endpoint.id: scopes for endpoint, _, scopes in await live_endpoints(session)}
        jobs, until, switched_off = [], now + timedelta(seconds=settings.webhook_claim_seconds), 0
        for delivery, endpoint, event in rows:
            if endpoint.id in live:
                delivery.claimed_by, delivery.claimed_until = holder, until
                assert delivery.id is not None
                scopes = live[endpoint.id]
                jobs.append(Job(delivery.id, endpoint.url, endpoint.secret, event, delivery.attempts, scopes))
            else:
                delivery.status, delivery.last_error = DeliveryStatus.dead.value, "the endpoint was switched off"
                delivery.claimed_by = delivery.claimed_until = None
                switched_off += 1
        await session.commit()
        metrics.DEAD.inc(switched_off)
        return jobs


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def send(client: httpx.AsyncClient, job: Job, settings: Settings, now: datetime) -> Outcome:
    """One attempt, bounded in time as a whole (a receiver trickling its answer cannot hold us), with
    the answer's body never read."""
    try:
        destination = await check_destination(job.url, settings.webhook_allowed_private_hosts)
    except RefusedDestination as exc:
        return Outcome(error=f"refused destination: {exc}"[:200])
    body = webhook_body(job.event, job.scopes)  # shaped now, by the client's scopes as they are now
    msg_id = str(job.event.event_id)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(job.secret).sign(msg_id, now, body),
    }
    deadline = min(settings.webhook_timeout_seconds, settings.webhook_claim_seconds / 2)
    try:
        async with asyncio.timeout(deadline):
            request = pinned_request(client, job.url, destination, content=body, headers=headers, timeout=deadline)
            response = await client.send(request, stream=True)
            await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(error="timed out")
    except Exception as exc:  # whatever the receiver or its URL does, it is this delivery's failure only
        return Outcome(error=type(exc).__name__[:200])
    return Outcome(status_code=response.status_code, retry_after=_retry_after(response.headers, now))


def _retry_after(headers: httpx.Headers, now: datetime) -> float | None:
    """Seconds, or an HTTP date; anything else is ignored."""
    value = headers.get("retry-after")
    if value is None:
        return None
    if seconds := _SECONDS.match(value):
        return float(seconds[1])
    try:
        return max((parsedate_to_datetime(value).astimezone(UTC) - now).total_seconds(), 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def next_delay(attempts: int, outcome: Outcome, settings: Settings) -> float:
    """Seconds until the next attempt: what the receiver asked for, or exponential backoff with full
    jitter (so many failed deliveries do not all come back at once); capped either way."""
    cap = settings.webhook_backoff_max_seconds
    if outcome.retry_after is not None:
        return min(outcome.retry_after, cap)
    return random.uniform(0, min(cap, settings.webhook_backoff_base_seconds * 2 ** (attempts - 1)))  # noqa: S311


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    holder: str,
    job: Job,
    outcome: Outcome,
    now: datetime,
    settings: Settings,
) -> None:
    attempts = job.attempts + 1
    error = outcome.error or (f"HTTP {outcome.status_code}" if not outcome.delivered else None)
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": error,
        "claimed_by": None,
        "claimed_until": None,
    }
    gone = outcome.status_code == 410
    if outcome.delivered:
        values |= {"status": DeliveryStatus.delivered.value, "delivered_at": now}
        counter = metrics.DELIVERED
    elif gone or attempts >= settings.webhook_max_attempts:
        values |= {"status": DeliveryStatus.dead.value}
        counter = metrics.DEAD
    else:
        values |= {"next_attempt_at": now + timedelta(seconds=next_delay(attempts, outcome, settings))}
        counter = metrics.FAILED
    async with sessionmaker() as session:
        mine = await session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == job.delivery_id, col(WebhookDelivery.claimed_by) == holder)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if gone and mine.rowcount == 1:  # the receiver says the endpoint is gone for good
            endpoint = select(WebhookDelivery.endpoint_id).where(WebhookDelivery.id == job.delivery_id)
            await session.exec(
                update(WebhookEndpoint)
                .where(col(WebhookEndpoint.id) == endpoint.scalar_subquery())
                .values(active=False, disabled_reason="the receiver answered 410 Gone")
                .execution_options(synchronize_session=False)
            )
        await session.commit()
    if mine.rowcount == 1:  # counted as recorded: a claim that lapsed meanwhile is another worker's to count
        counter.inc()


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    holder: str,
    now: Callable[[], datetime],
    settings: Settings,
) -> Sequence[Outcome]:
    """One round: claim what is due, send it all concurrently, record every answer."""
    jobs = await claim(sessionmaker, holder, now(), settings)
    sent = await asyncio.gather(*(send(client, job, settings, now()) for job in jobs), return_exceptions=True)
    outcomes = [o if isinstance(o, Outcome) else Outcome(error=type(o).__name__[:200]) for o in sent]
    answered_at = now()
    for job, outcome in zip(jobs, outcomes, strict=True):
        await record(sessionmaker, holder, job, outcome, answered_at, settings)
    return outcomes
