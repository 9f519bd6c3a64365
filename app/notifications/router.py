from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from app.auth.deps import ClockDep, allow
from app.auth.policy import Action
from app.auth.service import Principal
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.notifications import service
from app.notifications.enums import Stage
from app.notifications.schemas import NotificationCreate, NotificationPage, NotificationView

router = APIRouter(prefix="/notifications", tags=["notifications"])

CanCreate = Annotated[Principal, Depends(allow(Action.notification_create))]
CanRead = Annotated[Principal, Depends(allow(Action.notification_read))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe creates: the same key and body replay the first response.",
    ),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=NotificationView,
    responses=problem_responses(401, 403, 409, 413, 422),
)
async def create_notification(
    body: NotificationCreate,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> NotificationView:
    """Record a death notification (coordinators for their area; integrators with `notifications:write`).

    Scope is decided at intake and never silently: under 4, died outside England, or neither a learning
    disability nor autism (as an adult) closes the notification as `excluded` with the reason; so does a
    National Data Opt-Out. Ages 4 to 17 take the child death review route.
    """
    created = await service.create_notification(session, principal, body, clock.now(), idempotency_key)
    response.headers["Location"] = f"/notifications/{created.notification.id}"
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return service.to_view(principal, created.notification)


@router.get("", response_model=NotificationPage, responses=problem_responses(401, 403, 422))
async def list_notifications(
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    area: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{3,6}$", description="ODS code")] = None,
    stage: Stage | None = None,
    notified_from: Annotated[date | None, Query(description="Notified on or after (UK date).")] = None,
    notified_to: Annotated[date | None, Query(description="Notified on or before (UK date).")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> NotificationPage:
    """The notifications the caller may see, oldest notified first, a page at a time."""
    filters = service.NotificationFilters(area, stage, notified_from, notified_to)
    rows, next_cursor = await service.list_notifications(
        session, principal, filters, limit, cursor, clock.now()
    )
    return NotificationPage(items=[service.to_view(principal, row) for row in rows], next_cursor=next_cursor)


@router.get(
    "/{notification_id}", response_model=NotificationView, responses=problem_responses(401, 403, 404, 422)
)
async def get_notification(
    notification_id: uuid.UUID, principal: CanRead, session: SessionDep, clock: ClockDep
) -> NotificationView:
    """One notification. A record the caller may not see answers 404, exactly like one that does not exist."""
    notification = await service.get_notification(session, principal, notification_id, clock.now())
    return service.to_view(principal, notification)
