"""The fan-out: new events of the change feed become deliveries for the endpoints that want them.

It follows the feed as an integrator does, by position (so only events the relay has placed, in feed
order: app/events/relay.py). One worker at a time moves the fan-out's position (its row is locked until
commit), so each event becomes each endpoint's delivery once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.models import IntegratorClient
from app.auth.policy import Scope
from app.events.feed import read_feed
from app.events.models import OutboxEvent
from app.webhooks.models import FeedPosition, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus

FAN_OUT = "webhooks"


async def fan_out(sessionmaker: async_sessionmaker[AsyncSession], now: datetime, limit: int = 500) -> int:
    """Turn up to `limit` next events into deliveries; returns how many events were read."""
    async with sessionmaker() as session:
        position = await _locked_position(session)
        if position is None:
            return 0
        events = await read_feed(session, position.position, limit, None)
        if events:
            endpoints = await live_endpoints(session)
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
                for endpoint, areas, scopes in endpoints
                if _wants(endpoint, areas, event, Scope.actions_read.value in scopes)
            ]
            if wanted:
                await session.exec(insert(WebhookDelivery), params=wanted)
            assert events[-1].position is not None
            position.position = events[-1].position
        await session.commit()
        return len(events)


async def _locked_position(session: AsyncSession) -> FeedPosition | None:
    """The fan-out's place in the feed, locked until commit (so one worker moves it at a time)."""
    query = select(FeedPosition).where(FeedPosition.name == FAN_OUT).with_for_update()
    position = (await session.exec(query.execution_options(populate_existing=True))).first()
    if position is not None:
        return position
    session.add(FeedPosition(name=FAN_OUT))
    try:
        await session.commit()
    except IntegrityError:  # another worker made it first; try again next time
        await session.rollback()
        return None
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def live_endpoints(session: AsyncSession) -> list[tuple[WebhookEndpoint, frozenset[str], frozenset[str]]]:
    """Active endpoints of active clients that still hold `webhooks:manage`, each with the areas it
    may hear about now (an area or scope withdrawn from the client stops its deliveries), and its client's
    scopes now (`actions:read` for the action plan's events; app/events/views.py shapes the body by them)."""
    query = (
        select(WebhookEndpoint, IntegratorClient)
        .join(IntegratorClient, col(IntegratorClient.client_id) == col(WebhookEndpoint.client_id))
        .where(col(WebhookEndpoint.active).is_(True), col(IntegratorClient.active).is_(True))
    )
    found = []
    for endpoint, client in (await session.exec(query)).all():
        if Scope.webhooks_manage.value not in client.scopes:
            continue
        granted = frozenset(client.areas)
        areas = granted & frozenset(endpoint.areas) if endpoint.areas else granted
        found.append((endpoint, areas, frozenset(client.scopes)))
    return found


def _wants(endpoint: WebhookEndpoint, areas: frozenset[str], event: OutboxEvent, hears_actions: bool) -> bool:
    return (
        event.area_ods in areas
        and (hears_actions or not event.type.startswith("action."))
        and (not endpoint.event_types or event.type in endpoint.event_types)
        and event.occurred_at >= endpoint.created_at  # an endpoint hears what happens after it exists
    )
