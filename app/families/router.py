"""Families' part in the review: coordinators invite; the family, with its code, follows the review."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit import service as audit
from app.auth.deps import ClockDep, TokensDep
from app.auth.policy import Action
from app.core.db import SessionDep
from app.core.errors import problem_response, problem_responses
from app.families import service
from app.families.models import FamilyMessage, FamilySummary
from app.families.schemas import (
    FamilyMessagePublic,
    FamilyReview,
    FamilySession,
    FamilySummaryPublic,
    InvitationCreate,
    InvitationCreated,
    InvitationPublic,
    MessageCreate,
    SessionRequest,
    StaffMessagePublic,
    StaffSummaryPublic,
    SummaryChoice,
    SummaryRelease,
)
from app.notifications import service as notifications
from app.notifications.models import Notification
from app.reviews.deps import acting
from app.reviews.service import Context

staff_router = APIRouter(prefix="/notifications/{notification_id}/family-invitations", tags=["families"])
family_router = APIRouter(prefix="/family", tags=["families"])

Coordinator = Annotated[Context, Depends(acting(Action.family_invitations_manage))]


@staff_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationCreated,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def invite_family(
    notification_id: uuid.UUID, body: InvitationCreate, ctx: Coordinator, session: SessionDep, request: Request
) -> InvitationCreated:
    """Invite a relative or carer to follow the review. The code in the answer is shown only this once. It
    signs the family in as often as they come back, until it is revoked or reissued, or
    `LEDER_FAMILY_ACCESS_DAYS_AFTER_REVIEW` days after the review completes or is excluded."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.family_invitations_manage
    )
    invitation, code = await service.invite(session, ctx, notification, body)
    return InvitationCreated(invitation=InvitationPublic.model_validate(invitation), code=code)


@staff_router.get("", response_model=list[InvitationPublic], responses=problem_responses(401, 403, 404, 422))
async def list_family_invitations(
    notification_id: uuid.UUID, ctx: Coordinator, session: SessionDep
) -> list[InvitationPublic]:
    """The review's invitations (never their codes)."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.family_invitations_manage
    )
    return [InvitationPublic.model_validate(i) for i in await service.invitations(session, notification)]


@staff_router.post(
    "/{invitation_id}/revocation", response_model=InvitationPublic, responses=problem_responses(401, 403, 404, 422)
)
async def revoke_family_invitation(
    notification_id: uuid.UUID, invitation_id: uuid.UUID, ctx: Coordinator, session: SessionDep
) -> InvitationPublic:
    """Revoke an invitation: its code stops working, and so does every session made with it, at once."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.family_invitations_manage
    )
    return InvitationPublic.model_validate(await service.revoke(session, ctx, notification, invitation_id))


@staff_router.post(
    "/{invitation_id}/new-code",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationCreated,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reissue_family_code(
    notification_id: uuid.UUID, invitation_id: uuid.UUID, ctx: Coordinator, session: SessionDep
) -> InvitationCreated:
    """A new code for a family who lost theirs, shown only this once. The old code stops working, and every
    session made with the invitation ends at once (409 for a revoked invitation)."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.family_invitations_manage
    )
    invitation, code = await service.reissue_code(session, ctx, notification, invitation_id)
    return InvitationCreated(invitation=InvitationPublic.model_validate(invitation), code=code)


@family_router.post("/session", response_model=FamilySession, responses=problem_responses(401, 422, 429))
async def start_family_session(
    body: SessionRequest, request: Request, session: SessionDep, tokens: TokensDep, clock: ClockDep
) -> FamilySession | JSONResponse:
    """Exchange an invitation code for a session token for that one review; the same code works each time
    the family comes back. A session ends at sign-out, after `LEDER_FAMILY_SESSION_IDLE_SECONDS` without a
    request, or `LEDER_FAMILY_SESSION_ABSOLUTE_SECONDS` after it started. Wrong codes are counted per client
    and per code; past a few, 429 with `Retry-After` (a doubling back-off, never more than 60 seconds)."""
    client = request.client.host if request.client else "unknown"
    result = await service.start_session(session, tokens, request.app.state.settings, body.code, client, clock.now())
    if result.retry_after is not None:
        return problem_response(
            429,
            detail="Too many attempts. Please wait and try again.",
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.token is None:
        return problem_response(
            401, slug="invalid-code", title="That code did not work",
            detail="Check the code, or ask the local team for a new one.",
        )  # fmt: skip
    return FamilySession(access_token=result.token, expires_in=result.expires_in)


FamilySigner = Annotated[Context, Depends(acting(Action.family_sign_out))]


@family_router.post(
    "/sign-out", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=problem_responses(401, 403)
)
async def end_family_session(ctx: FamilySigner, session: SessionDep) -> Response:
    """Sign out: this session's token is refused from now on. The same code signs in again later."""
    await service.sign_out(session, ctx.principal, ctx.now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


Family = Annotated[Context, Depends(acting(Action.family_review_read))]
FamilyRequester = Annotated[Context, Depends(acting(Action.family_focused_review_request))]


@family_router.get("/review", response_model=FamilyReview, responses=problem_responses(401, 403))
async def get_family_review(ctx: Family, session: SessionDep) -> FamilyReview:
    """The review, in plain words, for the family who holds the session."""
    review = await service.review_for(session, ctx.principal, ctx)
    await audit.record(
        session, principal=ctx.principal, action=Action.family_review_read.value, outcome="allowed", at=ctx.now,
        object_type="notification", object_ids=[str(ctx.principal.notification_id)],
    )  # fmt: skip
    return review


@family_router.post("/focused-review-request", response_model=FamilyReview, responses=problem_responses(401, 403, 409))
async def request_focused_review(ctx: FamilyRequester, session: SessionDep) -> FamilyReview:
    """Ask for a focused review: a closer look at the care given. It then always takes place."""
    await service.request_focused_review(session, ctx.principal, ctx)
    return await service.review_for(session, ctx.principal, ctx)


FamilyChooser = Annotated[Context, Depends(acting(Action.family_summary_choose))]
FamilySummaryReader = Annotated[Context, Depends(acting(Action.family_summary_read))]


@family_router.put("/summary-preference", response_model=FamilyReview, responses=problem_responses(401, 403, 422))
async def choose_family_summary(body: SummaryChoice, ctx: FamilyChooser, session: SessionDep) -> FamilyReview:
    """Say whether you would like to read the summary of the review once it is complete."""
    await service.choose_summary(session, ctx.principal, ctx, body.wants_summary)
    return await service.review_for(session, ctx.principal, ctx)


@family_router.get("/summary", response_model=FamilySummaryPublic, responses=problem_responses(401, 403, 404))
async def read_family_summary(ctx: FamilySummaryReader, session: SessionDep) -> FamilySummaryPublic:
    """The summary of the completed review: there once the review is complete, you asked for it, and the
    local team released it (404 until then)."""
    summary = await service.summary_for_family(session, ctx)
    return summary


FamilySender = Annotated[Context, Depends(acting(Action.family_message_send))]
FamilyReader = Annotated[Context, Depends(acting(Action.family_message_read))]


@family_router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=FamilyMessagePublic,
    responses=problem_responses(401, 403, 422),
)
async def send_family_message(
    body: MessageCreate, ctx: FamilySender, session: SessionDep, request: Request
) -> FamilyMessagePublic:
    """Raise a concern (the team must acknowledge it within a number of working days), or say what went
    well."""
    days = request.app.state.settings.concern_acknowledgement_working_days
    message = await service.send_message(session, ctx.principal, ctx, body, days)
    return _family_view(message)


@family_router.get("/messages", response_model=list[FamilyMessagePublic], responses=problem_responses(401, 403))
async def list_own_family_messages(ctx: FamilyReader, session: SessionDep) -> list[FamilyMessagePublic]:
    """What this family has sent, and whether each concern has been acknowledged."""
    return [_family_view(m) for m in await service.own_messages(session, ctx.principal)]


def _family_view(message: FamilyMessage) -> FamilyMessagePublic:
    return FamilyMessagePublic(
        id=message.id,
        kind=message.kind,
        text=message.text,
        raised_at=message.raised_at,
        acknowledged=message.acknowledged_at is not None,
    )


SummaryManager = Annotated[Context, Depends(acting(Action.family_summary_manage))]
summary_router = APIRouter(prefix="/notifications/{notification_id}/family-summary", tags=["families"])


@summary_router.put("", response_model=StaffSummaryPublic, responses=problem_responses(401, 403, 404, 409, 422))
async def release_family_summary(
    notification_id: uuid.UUID, body: SummaryRelease, ctx: SummaryManager, session: SessionDep
) -> StaffSummaryPublic:
    """Release the summary of a completed review (409 before then) to the families who asked for it.
    Releasing again replaces the text."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.family_summary_manage
    )
    summary = await service.release_summary(session, ctx, notification, body.text)
    return await _staff_summary_view(session, notification, summary)


@summary_router.get("", response_model=StaffSummaryPublic, responses=problem_responses(401, 403, 404, 422))
async def get_family_summary(
    notification_id: uuid.UUID, ctx: SummaryManager, session: SessionDep
) -> StaffSummaryPublic:
    """The released summary (404 if none yet), and how many families asked for it."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.family_summary_manage
    )
    return await _staff_summary_view(session, notification, await service.staff_summary(session, notification))


async def _staff_summary_view(
    session: AsyncSession, notification: Notification, summary: FamilySummary
) -> StaffSummaryPublic:
    return StaffSummaryPublic(
        text=summary.text,
        released_at=summary.released_at,
        released_by=summary.released_by,
        families_asked=await service.families_asking(session, notification),
    )


StaffConcerns = Annotated[Context, Depends(acting(Action.concern_manage))]
messages_router = APIRouter(prefix="/notifications/{notification_id}/family-messages", tags=["families"])
concerns_router = APIRouter(prefix="/family-concerns", tags=["families"])


@messages_router.get("", response_model=list[StaffMessagePublic], responses=problem_responses(401, 403, 404, 422))
async def list_family_messages(
    notification_id: uuid.UUID, ctx: StaffConcerns, session: SessionDep
) -> list[StaffMessagePublic]:
    """The family's concerns and what they said went well, with acknowledgement deadlines."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.concern_manage
    )
    return [service.staff_view(m, ctx.today) for m in await service.messages_of(session, notification)]


@messages_router.post(
    "/{message_id}/acknowledgement", response_model=StaffMessagePublic, responses=problem_responses(401, 403, 404, 422)
)
async def acknowledge_concern(
    notification_id: uuid.UUID, message_id: uuid.UUID, ctx: StaffConcerns, session: SessionDep
) -> StaffMessagePublic:
    """Acknowledge a family's concern (coordinator or the allocated reviewer)."""
    notification = await notifications.get_notification(
        session, ctx.principal, notification_id, ctx.now, Action.concern_manage
    )
    return service.staff_view(await service.acknowledge(session, ctx, notification, message_id), ctx.today)


@concerns_router.get("", response_model=list[StaffMessagePublic], responses=problem_responses(401, 403))
async def list_unacknowledged_concerns(ctx: StaffConcerns, session: SessionDep) -> list[StaffMessagePublic]:
    """Concerns not yet acknowledged, on the reviews the caller may see, the soonest due first."""
    visible = notifications.readable_by(ctx.principal)
    return [service.staff_view(m, ctx.today) for m in await service.unacknowledged_concerns(session, visible)]
