"""Delivering events to webhook endpoints: fan out, claim, send, record. Run by `leder worker`.

At least once: a delivery is recorded only after the receiver answered, so a worker that dies
between sending and recording leaves a claim that lapses, and the delivery is sent again (receivers
deduplicate on `webhook-id`, the event's id). Several workers share the work: the fan-out position
is locked while it moves, and deliveries are claimed with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from standardwebhooks.webhooks import Webhook

from app.auth.models import IntegratorClient
from app.core.config import Settings
from app.events.feed import Cursor, cursor_of, read_feed
from app.events.models import OutboxEvent
from app.webhooks.destinations import RefusedDestination, check_destination
from app.webhooks.models import FeedPosition, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus

FAN_OUT = "webhooks"


async def fan_out(sessionmaker: async_sessionmaker[AsyncSession], now: datetime, limit: int = 500) -> int:
    """Turn the next events of the feed into deliveries for the endpoints that want them."""
    async with sessionmaker() as session:
        position = await _locked_position(session)
        if position is None:
            return 0
        events = await read_feed(session, Cursor(position.tx_order, position.event_id), limit, None)
        if events:
            wanted = [
                {
                    "endpoint_id": endpoint.id,
                    "event_id": event.id,
                    "status": DeliveryStatus.pending.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for event in events
                for endpoint, areas in await _live_endpoints(session)
                if _wants(endpoint, areas, event)
            ]
            if wanted:
                await session.exec(insert(WebhookDelivery), params=wanted)
            last = cursor_of(events[-1])
            position.tx_order, position.event_id = last.tx_order, last.id
        await session.commit()
        return len(events)


async def _locked_position(session: AsyncSession) -> FeedPosition | None:
    """The fan-out's place in the feed, locked until commit (so one worker moves it at a time)."""
    query = select(FeedPosition).where(FeedPosition.name == FAN_OUT).with_for_update()
    position = (await session.exec(query)).first()
    if position is not None:
        return position
    session.add(FeedPosition(name=FAN_OUT))
    try:
        await session.commit()
    except IntegrityError:  # another worker made it first; try again next time
        await session.rollback()
        return None
    return (await session.exec(query)).first()


async def _live_endpoints(session: AsyncSession) -> list[tuple[WebhookEndpoint, frozenset[str]]]:
    """Active endpoints of active clients, each with the areas it may hear about now."""
    query = (
        select(WebhookEndpoint, IntegratorClient)
        .join(IntegratorClient, col(IntegratorClient.client_id) == col(WebhookEndpoint.client_id))
        .where(col(WebhookEndpoint.active).is_(True), col(IntegratorClient.active).is_(True))
    )
    found = []
    for endpoint, client in (await session.exec(query)).all():
        granted = frozenset(client.areas)  # an area withdrawn from the client stops its deliveries
        found.append((endpoint, granted & frozenset(endpoint.areas) if endpoint.areas else granted))
    return found


def _wants(endpoint: WebhookEndpoint, areas: frozenset[str], event: OutboxEvent) -> bool:
    return (
        event.area_ods in areas
        and (not endpoint.event_types or event.type in endpoint.event_types)
        and event.occurred_at >= endpoint.created_at  # an endpoint hears what happens after it exists
    )


@dataclass(frozen=True)
class Job:
    delivery_id: int
    url: str
    secret: str
    event: OutboxEvent
    attempts: int


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession], holder: str, now: datetime, settings: Settings, limit: int = 20
) -> list[Job]:
    """Claim deliveries that are due (and not claimed by a live worker)."""
    async with sessionmaker() as session:
        due = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending.value,
                col(WebhookDelivery.next_attempt_at) <= now,
                or_(col(WebhookDelivery.claimed_until).is_(None), col(WebhookDelivery.claimed_until) <= now),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await session.exec(due)).all())
        if not ids:
            await session.commit()
            return []
        until = now + timedelta(seconds=settings.webhook_claim_seconds)
        await session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(ids))
            .values(claimed_by=holder, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        rows = (
            await session.exec(
                select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
                .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
                .where(col(WebhookDelivery.id).in_(ids))
            )
        ).all()
        jobs = [Job(d.id or 0, e.url, e.secret, event, d.attempts) for d, e, event in rows]
        await session.commit()
        return jobs


def message(event: OutboxEvent) -> str:
    """The body, as Standard Webhooks lays it out: type, timestamp, data (ids, stages, dates only)."""
    data = {"id": str(event.event_id), "notification_id": str(event.notification_id) if event.notification_id
            else None, "area": event.area_ods, **event.payload}  # fmt: skip
    return json.dumps(
        {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data}, separators=(",", ":")
    )


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def send(client: httpx.AsyncClient, job: Job, settings: Settings, now: datetime) -> Outcome:
    try:
        await check_destination(job.url, settings.webhook_allowed_private_hosts)
    except RefusedDestination as exc:
        return Outcome(error=f"refused destination: {exc}"[:200])
    body = message(job.event)
    msg_id = str(job.event.event_id)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(job.secret).sign(msg_id, now, body),
    }
    try:
        response = await client.post(job.url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds)
    except httpx.TimeoutException:
        return Outcome(error="timed out")
    except httpx.HTTPError as exc:
        return Outcome(error=type(exc).__name__)
    return Outcome(status_code=response.status_code, retry_after=_retry_after(response, now))


def _retry_after(response: httpx.Response, now: datetime) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value).astimezone(UTC) - now).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def next_delay(attempts: int, outcome: Outcome, settings: Settings) -> float:
    """Seconds until the next attempt: what the receiver asked for, or exponential backoff with full
    jitter (so many failed deliveries do not all come back at once); capped either way."""
    cap = settings.webhook_backoff_max_seconds
    if outcome.retry_after is not None:
        return min(outcome.retry_after, cap)
    return random.uniform(0, min(cap, settings.webhook_backoff_base_seconds * 2 ** (attempts - 1)))  # noqa: S311


async def record(
    sessionmaker: async_sessionmaker[AsyncSession], holder: str, job: Job, outcome: Outcome, now: datetime,
    settings: Settings,
) -> None:  # fmt: skip
    attempts = job.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_status_code": outcome.status_code,
                              "last_error": outcome.error, "claimed_by": None, "claimed_until": None}  # fmt: skip
    gone = outcome.status_code == 410
    if outcome.delivered:
        values |= {"status": DeliveryStatus.delivered.value, "delivered_at": now}
    elif gone or attempts >= settings.webhook_max_attempts:
        values |= {"status": DeliveryStatus.dead.value}
    else:
        values |= {"next_attempt_at": now + timedelta(seconds=next_delay(attempts, outcome, settings))}
        if outcome.status_code is not None:
            values["last_error"] = f"HTTP {outcome.status_code}"
    async with sessionmaker() as session:
        mine = await session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == job.delivery_id, col(WebhookDelivery.claimed_by) == holder)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if gone and mine.rowcount == 1:  # the receiver says the endpoint is gone for good
            await session.exec(
                update(WebhookEndpoint)
                .where(
                    col(WebhookEndpoint.id)
                    == select(WebhookDelivery.endpoint_id)
                    .where(WebhookDelivery.id == job.delivery_id)
                    .scalar_subquery()
                )
                .values(active=False, disabled_reason="the receiver answered 410 Gone")
                .execution_options(synchronize_session=False)
            )
        await session.commit()


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, holder: str, now: datetime,
    settings: Settings,
) -> Sequence[Outcome]:  # fmt: skip
    """One round: claim what is due, send it all concurrently, record every answer."""
    jobs = await claim(sessionmaker, holder, now, settings)
    outcomes = await asyncio.gather(*(send(client, job, settings, now) for job in jobs))
    for job, outcome in zip(jobs, outcomes, strict=True):
        await record(sessionmaker, holder, job, outcome, now, settings)
    return outcomes
