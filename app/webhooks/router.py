from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.webhooks import service
from app.webhooks.schemas import DeliveryPublic, DeliveryStatus, EndpointCreate, EndpointCreated, EndpointPublic

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

Manager = Annotated[Principal, Depends(allow(Action.webhooks_manage))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointCreated,
    responses=problem_responses(401, 403, 409, 422),
)
async def register_webhook(
    body: EndpointCreate, principal: Manager, session: SessionDep, clock: ClockDep, request: Request
) -> EndpointCreated:
    """Register an endpoint for our events (integrators with `webhooks:manage`). Deliveries follow
    Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (`v1,` + base64
    HMAC-SHA256 of `id.timestamp.body` with the secret returned here, once). At least once: deduplicate
    on `webhook-id`. URLs must be https and public; answer 410 to switch the endpoint off."""
    allowed = request.app.state.settings.webhook_allowed_private_hosts
    endpoint = await service.register(session, principal, body, clock.now(), allowed)
    return EndpointCreated(**EndpointPublic.model_validate(endpoint).model_dump(), secret=endpoint.secret)


@router.get("", response_model=list[EndpointPublic], responses=problem_responses(401, 403))
async def list_webhooks(principal: Manager, session: SessionDep) -> list[EndpointPublic]:
    """The client's own endpoints (never their secrets)."""
    return [EndpointPublic.model_validate(e) for e in await service.own_endpoints(session, principal)]


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404))
async def switch_off_webhook(endpoint_id: uuid.UUID, principal: Manager, session: SessionDep) -> Response:
    """Switch the endpoint off: nothing more is sent to it. Its delivery history stays."""
    service.set_active(await service.own_endpoint(session, principal, endpoint_id), False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/activation", response_model=EndpointPublic, responses=problem_responses(401, 403, 404))
async def switch_on_webhook(endpoint_id: uuid.UUID, principal: Manager, session: SessionDep) -> EndpointPublic:
    """Switch an endpoint back on (after a 410, say); it hears events from now on."""
    endpoint = await service.own_endpoint(session, principal, endpoint_id)
    service.set_active(endpoint, True)
    return EndpointPublic.model_validate(endpoint)


@router.get(
    "/{endpoint_id}/deliveries", response_model=list[DeliveryPublic], responses=problem_responses(401, 403, 404, 422)
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: Manager,
    session: SessionDep,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """The endpoint's deliveries, newest first: `status=dead` lists the dead letters to replay."""
    endpoint = await service.own_endpoint(session, principal, endpoint_id)
    return [
        DeliveryPublic(
            id=delivery.id or 0,
            event_id=event.event_id,
            event_type=event.type,
            status=DeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
        )
        for delivery, event in await service.deliveries(session, endpoint, status_, limit)
    ]


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def replay_delivery(
    endpoint_id: uuid.UUID,
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: Manager,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Send a delivery again, from its first attempt (a dead letter, or one the receiver lost)."""
    endpoint = await service.own_endpoint(session, principal, endpoint_id)
    await service.replay(session, endpoint, delivery_id, clock.now())
    return Response(status_code=status.HTTP_202_ACCEPTED)
