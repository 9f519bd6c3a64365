from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from app.auth.deps import ClockDep, allow
from app.auth.policy import Action, Role, Scope
from app.auth.service import Principal
from app.core.clock import uk_date
from app.core.cursors import MAX_CURSOR_LENGTH
from app.core.db import SessionDep
from app.core.errors import invalid_field, problem_responses
from app.core.etag import etag
from app.core.responses import json_response
from app.idempotency import service as idempotency
from app.notifications import batch, periods, service
from app.notifications.batch import BatchCreate, BatchResult
from app.notifications.enums import Stage
from app.notifications.schemas import (
    NotificationCreate,
    NotificationForIntegrator,
    NotificationPage,
    NotificationPublic,
    NotificationView,
)
from app.sla.clock import SlaState

MONTHS = "National oversight, and integrators without `notifications:dates`, give months only (`2026-09`)."

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
    # Coordinators get the full record; integrators their scopes' view, as for any read (a replay comes later).
    response_model=NotificationPublic | NotificationForIntegrator,
    responses=problem_responses(401, 403, 409, 413, 422),
)
async def create_notification(
    body: NotificationCreate,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record a death notification (coordinators for their area; integrators with `notifications:write`).

    Scope is decided at intake and never silently: under 4, died outside England, or neither a learning
    disability nor autism (as an adult) closes the notification as `excluded` with the reason; so does a
    National Data Opt-Out. Ages 4 to 17 take the child death review route.
    """
    now = clock.now()
    created = await service.create_notification(session, principal, body, now, idempotency_key)
    notification = created.notification
    headers = {"Location": f"/notifications/{notification.id}", "ETag": etag(notification.version)}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    related = created.related or (await service.load_related(session, [notification.id]))[notification.id]
    view = service.to_view(principal, notification, related, uk_date(now), _at_risk_days(request))
    return json_response(view, status.HTTP_201_CREATED, headers)


@router.post("/batch", response_model=BatchResult, responses=problem_responses(401, 403, 409, 413, 422))
async def create_notifications_batch(
    body: BatchCreate,
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BatchResult:
    """Up to 500 notifications in one request (integrators pushing from NHS systems; coordinators).

    Each item is validated and stored on its own, exactly as `POST /notifications` would: the answer
    lists, per item, `created` with its id, `duplicate` with the existing id where the caller may see it,
    or `invalid`/`refused` with the reasons. Valid items are stored even when others fail. With an
    `Idempotency-Key`, a retry of the same body replays the first answer and stores nothing twice.
    """
    now = clock.now()
    if idempotency_key is not None:
        earlier = await idempotency.find_record(session, principal.subject, idempotency_key, body)
        if earlier is not None:
            if earlier.response is None:
                raise invalid_field("Idempotency-Key", "was already used for another request", location="header")
            response.headers["Idempotent-Replayed"] = "true"
            return BatchResult.model_validate(earlier.response)
    result = await batch.record_batch(session, principal, body, now)
    if idempotency_key is not None:
        answer = result.model_dump(mode="json")
        await idempotency.remember(session, principal.subject, idempotency_key, body, "batch", now, answer)
    return result


@router.get("", response_model=NotificationPage, responses=problem_responses(401, 403, 422))
async def list_notifications(
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    area: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{3,6}$", description="ODS code")] = None,
    stage: Stage | None = None,
    notified_from: Annotated[
        str | None, Query(pattern=periods.PATTERN, description=f"Notified on or after this day or month. {MONTHS}")
    ] = None,
    notified_to: Annotated[
        str | None, Query(pattern=periods.PATTERN, description=f"Notified on or before this day or month. {MONTHS}")
    ] = None,
    unallocated: Annotated[bool | None, Query(description="Open and not allocated to a reviewer.")] = None,
    reviewer_id: Annotated[
        uuid.UUID | None, Query(description="Integrators need `notifications:review` for this filter.")
    ] = None,
    sla_state: Annotated[SlaState | None, Query(description="By the hold-adjusted clock, today.")] = None,
    due_before: Annotated[
        str | None,
        Query(pattern=periods.PATTERN, description=f"Open, and due on or before this day or month. {MONTHS}"),
    ] = None,
    hold_overdue: Annotated[bool | None, Query(description="On a hold past its expected end date.")] = None,
    sort: Annotated[
        service.SortOrder,
        Query(
            description="`notified`: oldest first; `due`: nearest due first (not for national oversight, nor "
            "integrators without `notifications:dates`)."
        ),
    ] = service.SortOrder.notified,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the page before.")
    ] = None,
) -> Response:
    """The notifications the caller may see, a page at a time.

    For a coordinator's day: `unallocated=true` (the oldest first), `sla_state=at_risk&sort=due`
    (what will breach within the at-risk window), `hold_overdue=true`.
    """
    now = clock.now()
    if sort is service.SortOrder.due and periods.months_only(principal):
        reason = periods.months_only_reason(principal, "lists by notified month only")
        raise invalid_field("sort", reason, location="query")
    if (
        reviewer_id is not None
        and principal.role is Role.integrator
        and Scope.notifications_review not in principal.scopes
    ):
        # Which cases a reviewer holds is the review's working, shown only with that scope.
        raise invalid_field("reviewer_id", "needs the notifications:review scope", location="query")
    filters = service.NotificationFilters(
        area,
        stage,
        periods.period_bound(notified_from, "notified_from", principal, end=False),
        periods.period_bound(notified_to, "notified_to", principal, end=True),
        unallocated,
        reviewer_id,
        sla_state,
        periods.period_bound(due_before, "due_before", principal, end=True),
        hold_overdue,
    )
    at_risk_days = _at_risk_days(request)
    page = await service.list_notifications(
        session, principal, filters, sort, limit, cursor, request.app.state.cursors, now, at_risk_days
    )
    items = service.to_views(principal, page.rows, page.related, uk_date(now), at_risk_days)
    return json_response({"items": items, "next_cursor": page.next_cursor})  # a NotificationPage


@router.get("/{notification_id}", response_model=NotificationView, responses=problem_responses(401, 403, 404, 422))
async def get_notification(
    notification_id: uuid.UUID,
    principal: CanRead,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
) -> Response:
    """One notification, with its `ETag`. A record the caller may not see answers 404, exactly like
    one that does not exist."""
    now = clock.now()
    notification, related = await service.read_notification(session, principal, notification_id, now)
    view = service.to_view(principal, notification, related, uk_date(now), _at_risk_days(request))
    return json_response(view, headers={"ETag": etag(notification.version)})


def _at_risk_days(request: Request) -> int:
    days: int = request.app.state.settings.sla_at_risk_days
    return days
