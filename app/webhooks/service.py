"""Integrators' webhook endpoints: register, list, switch off, see deliveries, replay."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.service import Principal
from app.core.db import one_at_a_time
from app.core.errors import Conflict, NotFound, invalid_field
from app.events.models import OutboxEvent
from app.webhooks.destinations import RefusedDestination, check_destination
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import DeliveryStatus, EndpointCreate

MAX_ENDPOINTS_PER_CLIENT = 20


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def register(
    session: AsyncSession, principal: Principal, data: EndpointCreate, now: datetime, allowed_hosts: list[str]
) -> WebhookEndpoint:
    assert principal.client_id is not None
    await one_at_a_time(session, f"webhook-endpoints:{principal.client_id}")  # the count below holds till commit
    if len(await own_endpoints(session, principal)) >= MAX_ENDPOINTS_PER_CLIENT:
        raise Conflict(f"A client may register at most {MAX_ENDPOINTS_PER_CLIENT} endpoints.")
    outside = sorted(set(data.areas) - principal.client_areas)
    if outside:
        raise invalid_field("areas", "includes areas this client is not granted")
    try:
        await check_destination(data.url, allowed_hosts)
    except RefusedDestination as exc:
        raise invalid_field("url", str(exc)) from None
    endpoint = WebhookEndpoint(
        client_id=principal.client_id,
        url=data.url,
        event_types=sorted({t.value for t in data.event_types}),
        areas=sorted(set(data.areas)),
        secret=new_secret(),
        created_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


async def own_endpoints(session: AsyncSession, principal: Principal) -> Sequence[WebhookEndpoint]:
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.client_id == principal.client_id)
        .order_by(col(WebhookEndpoint.created_at))
    )
    return (await session.exec(query)).all()


async def own_endpoint(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The client's own endpoint; another client's answers 404, as one that does not exist."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.client_id != principal.client_id:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def set_active(endpoint: WebhookEndpoint, active: bool) -> None:
    endpoint.active = active
    endpoint.disabled_reason = None if active else "switched off by the client"


async def deliveries(
    session: AsyncSession, endpoint: WebhookEndpoint, status: DeliveryStatus | None, limit: int
) -> Sequence[tuple[WebhookDelivery, OutboxEvent]]:
    query = (
        select(WebhookDelivery, OutboxEvent)
        .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status.value)
    return (await session.exec(query)).all()


async def replay(session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: int, now: datetime) -> None:
    """Send a delivery again from the first attempt (a dead one, or one the receiver lost)."""
    if not endpoint.active:
        raise Conflict("The endpoint is switched off; switch it on before replaying.")
    changed = await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.endpoint_id) == endpoint.id)
        .values(
            status=DeliveryStatus.pending.value, attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise NotFound("No such delivery.")
