"""The review workflow on a notification: allocation, stage transitions, holds, history, the clock.

Writes need `If-Match` with the notification's ETag (428 without, 412 if stale) and answer with the
updated notification and its new ETag.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status

from app.auth.policy import Action
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import IfMatch, etag, expected_version
from app.core.responses import json_response
from app.flags.schemas import FlagDismissal
from app.notifications import service as notifications
from app.notifications.models import Notification
from app.notifications.schemas import NotificationPublic, NotificationView
from app.reviews import service
from app.reviews.deps import acting
from app.reviews.schemas import (
    AllocationRequest,
    HistoryEntryPublic,
    HoldEndRequest,
    HoldRequest,
    TransitionRequest,
    WaiverRequest,
)
from app.sla import service as sla
from app.sla.schemas import SlaExplanation

router = APIRouter(prefix="/notifications/{notification_id}", tags=["reviews"])

WRITE_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 422, 428)


async def _load(session: SessionDep, ctx: service.Context, notification_id: uuid.UUID, action: Action) -> Notification:
    return await notifications.get_notification(session, ctx.principal, notification_id, ctx.now, action)


async def respond(
    session: SessionDep, ctx: service.Context, notification: Notification, status_code: int = 200
) -> Response:
    """The notification as the caller may see it after the write, with its new ETag."""
    await session.flush()
    related = (await notifications.load_related(session, [notification.id]))[notification.id]
    view = notifications.to_view(ctx.principal, notification, related, ctx.today, ctx.at_risk_days)
    return json_response(view, status_code, headers={"ETag": etag(notification.version)})


@router.put("/allocation", response_model=NotificationView, responses=WRITE_PROBLEMS)
async def allocate_notification(
    notification_id: uuid.UUID,
    body: AllocationRequest,
    ctx: Annotated[service.Context, Depends(acting(Action.allocation_manage))],
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Allocate the review to a reviewer of the same area, or reallocate it with a reason.

    Refused with 409 (`refusal` says why): the reviewer is inactive or not of this area; works for an
    organisation that cared for the person; is at capacity (unless `capacity_override_reason` is
    given); or the notification is closed. The previous reviewer loses sight of it at once.
    """
    version = expected_version(if_match)
    notification = await _load(session, ctx, notification_id, Action.allocation_manage)
    await service.allocate(session, ctx, notification, body, version)
    return await respond(session, ctx, notification)


@router.post("/transitions", response_model=NotificationView, responses=WRITE_PROBLEMS)
async def transition_notification(
    notification_id: uuid.UUID,
    body: TransitionRequest,
    ctx: Annotated[service.Context, Depends(acting(Action.review_transition))],
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Move the review to another stage.

    Reviewers, on reviews allocated to them: `initial_review` (start), `focused_review` (open one),
    `awaiting_sign_off` (submit). Coordinators: `completed` (sign off), `initial_review` or
    `focused_review` from `awaiting_sign_off` (send back, with a reason), `excluded` (with a reason).
    Any other move is 409 naming the current stage and the stages allowed next. Allocation and
    holds have their own endpoints.
    """
    version = expected_version(if_match)
    notification = await _load(session, ctx, notification_id, Action.review_transition)
    await service.transition(session, ctx, notification, body, version)
    return await respond(session, ctx, notification)


# Only coordinators place holds, and they see the identifiable view: one response type for the create.
@router.post("/holds", status_code=status.HTTP_201_CREATED, response_model=NotificationPublic, responses=WRITE_PROBLEMS)
async def place_hold(
    notification_id: uuid.UUID,
    body: HoldRequest,
    ctx: Annotated[service.Context, Depends(acting(Action.hold_manage))],
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Put the review on hold while another process finishes (coroner, police, safeguarding, ...).

    The six-month clock stops. Answers with the notification, whose `hold` names the new hold's id.
    """
    version = expected_version(if_match)
    notification = await _load(session, ctx, notification_id, Action.hold_manage)
    await service.place_hold(session, ctx, notification, body, version)
    return await respond(session, ctx, notification, status.HTTP_201_CREATED)


@router.post("/holds/{hold_id}/end", response_model=NotificationView, responses=WRITE_PROBLEMS)
async def end_hold(
    notification_id: uuid.UUID,
    hold_id: uuid.UUID,
    ctx: Annotated[service.Context, Depends(acting(Action.hold_manage))],
    session: SessionDep,
    if_match: IfMatch = None,
    body: Annotated[HoldEndRequest | None, Body()] = None,
) -> Response:
    """End the hold: the review returns to the stage it left and the clock runs again.

    The body is optional: `{"ended_on": "2025-03-02"}` when the other process ended before today.
    """
    version = expected_version(if_match)
    notification = await _load(session, ctx, notification_id, Action.hold_manage)
    ended_on = body.ended_on if body is not None else None
    await service.end_hold(session, ctx, notification, hold_id, version, ended_on)
    return await respond(session, ctx, notification)


@router.post("/focused-review-waiver", response_model=NotificationView, responses=WRITE_PROBLEMS)
async def waive_focused_review(
    notification_id: uuid.UUID,
    body: WaiverRequest,
    ctx: Annotated[service.Context, Depends(acting(Action.focused_review_waive))],
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Record the coordinator's decision that a required focused review will not take place, and why."""
    version = expected_version(if_match)
    notification = await _load(session, ctx, notification_id, Action.focused_review_waive)
    await service.waive_focused_review(session, ctx, notification, body.reason, version)
    return await respond(session, ctx, notification)


@router.post("/flags/{flag_id}/dismissal", response_model=NotificationView, responses=WRITE_PROBLEMS)
async def dismiss_flag(
    notification_id: uuid.UUID,
    flag_id: uuid.UUID,
    body: FlagDismissal,
    ctx: Annotated[service.Context, Depends(acting(Action.flag_dismiss))],
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Dismiss a bias flag, recording why (coordinator). It no longer requires a focused review."""
    version = expected_version(if_match)
    notification = await _load(session, ctx, notification_id, Action.flag_dismiss)
    await service.dismiss_flag(session, ctx, notification, flag_id, body.reason, version)
    return await respond(session, ctx, notification)


@router.get("/history", response_model=list[HistoryEntryPublic], responses=problem_responses(401, 403, 404, 422))
async def get_history(
    notification_id: uuid.UUID,
    ctx: Annotated[service.Context, Depends(acting(Action.history_read))],
    session: SessionDep,
) -> list[HistoryEntryPublic]:
    """The whole timeline: notification, allocations and reallocations, transitions, holds; who and when."""
    notification = await _load(session, ctx, notification_id, Action.history_read)
    return [HistoryEntryPublic.model_validate(e) for e in await service.history(session, notification)]


@router.get("/sla", response_model=SlaExplanation, responses=problem_responses(401, 403, 404, 409, 422))
async def explain_sla(
    notification_id: uuid.UUID,
    ctx: Annotated[service.Context, Depends(acting(Action.sla_explain))],
    session: SessionDep,
) -> SlaExplanation:
    """The six-month arithmetic for this review: start, holds, due date, days remaining, state."""
    notification = await _load(session, ctx, notification_id, Action.sla_explain)
    holds = (await sla.holds_by_notification(session, [notification.id]))[notification.id]
    clocks = sla.sla_of(notification, holds, ctx.today, ctx.at_risk_days)
    if clocks is None:
        raise service.StageConflict("An excluded notification has no review to time.", current_stage="excluded")
    return sla.explain(clocks, holds, ctx.today, ctx.at_risk_days)
