"""Families: invitations, the code exchange, and the review as they see it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actions.models import PlanAction
from app.areas import contact as area_contact
from app.areas.models import Area
from app.audit import service as audit
from app.auth.policy import Action
from app.auth.service import FAMILY_SUBJECT, Principal
from app.auth.tokens import InvalidToken, TokenService
from app.core import rate_limits
from app.core.clock import uk_date
from app.core.config import Settings
from app.core.errors import Conflict, NotFound
from app.events.service import EventType, emit
from app.families import sessions as family_sessions
from app.families.codes import code_hash, new_code
from app.families.models import FamilyInvitation, FamilyMessage, FamilySummary
from app.families.schemas import (
    FamilyReview,
    FamilySummaryPublic,
    InvitationCreate,
    MessageCreate,
    MessageKind,
    StaffMessagePublic,
    TeamContact,
)
from app.families.words import HOLD_WORDS, STAGE_WORDS
from app.families.working_days import add_working_days
from app.notifications.enums import OtherProcess, Stage
from app.notifications.models import Notification
from app.reviews.models import HistoryKind
from app.reviews.service import Context, add_history
from app.sla import service as sla


async def invite(
    session: AsyncSession, ctx: Context, notification: Notification, data: InvitationCreate
) -> tuple[FamilyInvitation, str]:
    if notification.stage == Stage.excluded:
        raise Conflict("There is no review to follow: the notification was excluded.")
    code = new_code()
    invitation = FamilyInvitation(
        notification_id=notification.id,
        name=data.name,
        relationship=data.relationship,
        contact_preference=data.contact_preference.value,
        contact=data.contact,
        code_sha256=code_hash(code),
        created_at=ctx.now,
        created_by=ctx.principal.subject,
    )
    session.add(invitation)
    await session.flush()
    # The history names the invitation, not the person: it is read more widely than the invitation.
    await add_history(
        session, ctx.principal, ctx.now, notification, HistoryKind.family_invited,
        invitation_id=str(invitation.id), relationship=data.relationship,
    )  # fmt: skip
    return invitation, code


async def invitations(session: AsyncSession, notification: Notification) -> Sequence[FamilyInvitation]:
    query = (
        select(FamilyInvitation)
        .where(FamilyInvitation.notification_id == notification.id)
        .order_by(col(FamilyInvitation.created_at))
    )
    return (await session.exec(query)).all()


async def revoke(
    session: AsyncSession, ctx: Context, notification: Notification, invitation_id: uuid.UUID
) -> FamilyInvitation:
    invitation = await session.get(FamilyInvitation, invitation_id)
    if invitation is None or invitation.notification_id != notification.id:
        raise NotFound("No such invitation.")
    if invitation.revoked_at is None:
        invitation.revoked_at, invitation.revoked_by = ctx.now, ctx.principal.subject
        await family_sessions.end_all(session, invitation.id, ctx.now)
        await add_history(
            session,
            ctx.principal,
            ctx.now,
            notification,
            HistoryKind.family_invitation_revoked,
            invitation_id=str(invitation.id),
        )
    return invitation


@dataclass(frozen=True)
class Exchange:
    token: str | None = None
    expires_in: int = 0
    retry_after: int | None = None  # set when rate limited


async def exchange(
    session: AsyncSession, tokens: TokenService, settings: Settings, code: str, client: str, now: datetime
) -> Exchange:
    """A code for a session token, as often as the family comes back. Wrong codes are counted per client and
    per code; past a few, each attempt waits a doubling back-off capped at a minute (429)."""
    window = timedelta(seconds=settings.family_code_window_seconds)
    cap = timedelta(seconds=settings.family_code_backoff_cap_seconds)
    digest = code_hash(code)
    client_key, code_key = f"family-code-client:{client}"[:100], f"family-code:{digest}"
    for key, free in ((client_key, settings.family_code_failures_per_client),
                      (code_key, settings.family_code_attempts_per_code)):  # fmt: skip
        wait = await rate_limits.backoff(session, key, free, window, cap, now)
        if wait is not None:
            return Exchange(retry_after=wait)
    invitation = (await session.exec(select(FamilyInvitation).where(FamilyInvitation.code_sha256 == digest))).first()
    if invitation is None or not await family_sessions.invitation_usable(session, invitation, settings, now):
        rate_limits.count_attempt(session, code_key, now)
        rate_limits.count_attempt(session, client_key, now)
        return Exchange()
    record = family_sessions.start(session, invitation, settings, now)
    lifetime = record.ends_at - now
    token = tokens.issue(f"{FAMILY_SUBJECT}{invitation.id}", lifetime, {"sid": str(record.id)})
    return Exchange(token=token, expires_in=int(lifetime.total_seconds()))


async def sign_out(session: AsyncSession, principal: Principal, now: datetime) -> None:
    """End this session at once: its token is refused from now on (the code still signs in again)."""
    assert principal.family_session_id is not None  # every family principal has one
    await family_sessions.end(session, principal.family_session_id, now)
    await audit.record(session, principal=principal, action="family.sign_out", outcome="allowed", at=now)


async def sign_out_token(session: AsyncSession, tokens: TokenService, token: str | None, now: datetime) -> None:
    """The pages' sign-out: end the session the cookie names, if it is one of ours and still open."""
    try:
        verified = await tokens.verify(token) if token else None
    except InvalidToken:
        return
    if verified is None or not verified.subject.startswith(FAMILY_SUBJECT):
        return
    session_id = verified.claims.get("sid")
    try:
        parsed = uuid.UUID(session_id) if isinstance(session_id, str) else None
    except ValueError:
        return
    if parsed is not None:
        await family_sessions.end(session, parsed, now)
        await audit.record(session, principal=None, action="family.sign_out", outcome="allowed", at=now)


async def reissue_code(
    session: AsyncSession, ctx: Context, notification: Notification, invitation_id: uuid.UUID
) -> tuple[FamilyInvitation, str]:
    """A new code for a family who lost theirs: the old code stops working, and so does every session."""
    invitation = await session.get(FamilyInvitation, invitation_id)
    if invitation is None or invitation.notification_id != notification.id:
        raise NotFound("No such invitation.")
    if invitation.revoked_at is not None:
        raise Conflict("The invitation was revoked; invite the family again instead.")
    code = new_code()
    invitation.code_sha256 = code_hash(code)
    await family_sessions.end_all(session, invitation.id, ctx.now)
    await add_history(
        session, ctx.principal, ctx.now, notification, HistoryKind.family_code_reissued,
        invitation_id=str(invitation.id),
    )  # fmt: skip
    return invitation, code


async def start_session(
    session: AsyncSession, tokens: TokenService, settings: Settings, code: str, client: str, now: datetime
) -> Exchange:
    """The exchange, audited (for the API and the pages alike)."""
    result = await exchange(session, tokens, settings, code, client, now)
    outcome = "allowed" if result.token else ("rate_limited" if result.retry_after else "unauthenticated")
    await audit.record(session, principal=None, action="family.session", outcome=outcome, at=now)
    return result


async def review_for(session: AsyncSession, principal: Principal, ctx: Context) -> FamilyReview:
    notification = await _family_notification(session, principal)
    holds = (await sla.holds_by_notification(session, [notification.id]))[notification.id]
    clocks = sla.sla_of(notification, holds, ctx.today, ctx.at_risk_days)
    current_hold = next((h for h in holds if h.ended_at is None), None)
    team, contact = await team_of(session, notification)
    open_review = notification.stage not in (Stage.completed, Stage.excluded)
    return FamilyReview(
        stage=notification.stage,
        stage_in_words=STAGE_WORDS[Stage(notification.stage)],
        on_hold=current_hold is not None,
        hold_in_words=HOLD_WORDS[OtherProcess(current_hold.reason)] if current_hold else None,
        expected_completion_on=clocks.hold_adjusted.due_on if clocks and open_review else None,
        completed_on=notification.completed_on,
        team=team,
        team_contact=contact,
        focused_review_requested=notification.focused_review_requested_by_family,
        summary_requested=(await _own_invitation(session, principal)).wants_summary,
        summary_available=await _readable_summary(session, principal, notification) is not None,
    )


async def team_of(session: AsyncSession, notification: Notification) -> tuple[str, TeamContact | None]:
    """Who the family contacts about the review, and how (the area's contact details, if set)."""
    area = await session.get(Area, notification.area_ods)
    team = f"The LeDeR team at {area.name}" if area else "Your local LeDeR team"
    found = await area_contact.for_area(session, notification.area_ods)
    if found is None or not (found.email or found.phone or found.postal_address):
        return team, None
    return team, TeamContact(
        email=found.email,
        phone=area_contact.phone_for_people(found.phone) if found.phone else None,
        phone_e164=found.phone,
        postal_address=found.postal_address.split("\n") if found.postal_address else [],
    )


async def family_team(session: AsyncSession, principal: Principal) -> tuple[str, TeamContact | None]:
    return await team_of(session, await _family_notification(session, principal))


async def request_focused_review(session: AsyncSession, principal: Principal, ctx: Context) -> None:
    """The family asks for a focused review: from now on one is required (domain: "always")."""
    notification = await _family_notification(session, principal)
    if notification.stage in (Stage.completed, Stage.excluded):
        raise Conflict("The review is closed; please contact the local team.")
    if not notification.focused_review_requested_by_family:
        notification.focused_review_requested_by_family = True
        # A new version, atomically: staff holding an older ETag must re-read before acting.
        await session.exec(
            update(Notification)
            .where(col(Notification.id) == notification.id)
            .values(version=Notification.version + 1)
            .execution_options(synchronize_session=False)
        )
        await add_history(session, principal, ctx.now, notification, HistoryKind.family_asked_focused_review)


async def _family_notification(session: AsyncSession, principal: Principal) -> Notification:
    notification = await session.get(Notification, principal.notification_id)
    if notification is None:  # pragma: no cover - invitations always point at a notification
        raise NotFound("No such review.")
    return notification


async def send_message(
    session: AsyncSession, principal: Principal, ctx: Context, data: MessageCreate, working_days: int
) -> FamilyMessage:
    notification = await _family_notification(session, principal)
    assert principal.invitation_id is not None
    is_concern = data.kind is MessageKind.concern
    message = FamilyMessage(
        notification_id=notification.id,
        invitation_id=principal.invitation_id,
        kind=data.kind.value,
        text=data.text,
        raised_at=ctx.now,
        acknowledge_by=add_working_days(ctx.today, working_days) if is_concern else None,
    )
    session.add(message)
    await session.flush()
    kind = HistoryKind.family_raised_concern if is_concern else HistoryKind.family_said_went_well
    await add_history(session, principal, ctx.now, notification, kind, message_id=str(message.id))
    if is_concern:
        await emit(session, EventType.concern_raised, notification, ctx.now, message_id=str(message.id))
    return message


async def own_messages(session: AsyncSession, principal: Principal) -> Sequence[FamilyMessage]:
    query = (
        select(FamilyMessage)
        .where(FamilyMessage.invitation_id == principal.invitation_id)
        .order_by(col(FamilyMessage.raised_at))
    )
    return (await session.exec(query)).all()


async def messages_of(session: AsyncSession, notification: Notification) -> Sequence[FamilyMessage]:
    query = (
        select(FamilyMessage)
        .where(FamilyMessage.notification_id == notification.id)
        .order_by(col(FamilyMessage.raised_at))
    )
    return (await session.exec(query)).all()


async def acknowledge(
    session: AsyncSession, ctx: Context, notification: Notification, message_id: uuid.UUID
) -> FamilyMessage:
    message = await session.get(FamilyMessage, message_id)
    if message is None or message.notification_id != notification.id or message.kind != MessageKind.concern:
        raise NotFound("No such concern.")
    if message.acknowledged_at is None:
        message.acknowledged_at, message.acknowledged_by = ctx.now, ctx.principal.subject
        acknowledged = HistoryKind.concern_acknowledged
        await add_history(session, ctx.principal, ctx.now, notification, acknowledged, message_id=str(message.id))
    return message


async def unacknowledged_concerns(session: AsyncSession, visible: ColumnElement[bool]) -> Sequence[FamilyMessage]:
    """Open concerns on the notifications the caller may see, the soonest due first."""
    query = (
        select(FamilyMessage)
        .join(Notification, col(Notification.id) == col(FamilyMessage.notification_id))
        .where(
            visible,
            FamilyMessage.kind == MessageKind.concern.value,
            col(FamilyMessage.acknowledged_at).is_(None),
        )
        .order_by(col(FamilyMessage.acknowledge_by), col(FamilyMessage.id))
    )
    return (await session.exec(query)).all()


def staff_view(message: FamilyMessage, today: date) -> StaffMessagePublic:
    overdue = message.acknowledged_at is None and message.acknowledge_by is not None and message.acknowledge_by < today
    return StaffMessagePublic(
        id=message.id,
        notification_id=message.notification_id,
        invitation_id=message.invitation_id,
        kind=MessageKind(message.kind),
        text=message.text,
        raised_at=message.raised_at,
        acknowledge_by=message.acknowledge_by,
        acknowledged_at=message.acknowledged_at,
        acknowledged_by=message.acknowledged_by,
        overdue=overdue,
    )


async def _own_invitation(session: AsyncSession, principal: Principal) -> FamilyInvitation:
    invitation = await session.get(FamilyInvitation, principal.invitation_id)
    assert invitation is not None  # resolve_principal checked it on this request
    return invitation


async def choose_summary(session: AsyncSession, principal: Principal, ctx: Context, wants: bool) -> None:
    """The family says whether they want the summary of the completed review. They may change their mind."""
    invitation = await _own_invitation(session, principal)
    notification = await _family_notification(session, principal)
    if notification.stage == Stage.excluded:
        raise Conflict("This death will not be reviewed by this programme, so there will be no summary.")
    if invitation.wants_summary != wants:
        invitation.wants_summary = wants
        await add_history(
            session, principal, ctx.now, notification, HistoryKind.family_summary_choice, wants_summary=wants
        )


async def _readable_summary(
    session: AsyncSession, principal: Principal, notification: Notification
) -> FamilySummary | None:
    """The summary, if this family may read it: the review is complete, they asked, and it was released."""
    if notification.stage != Stage.completed or not (await _own_invitation(session, principal)).wants_summary:
        return None
    return await session.get(FamilySummary, notification.id)


async def summary_for_family(session: AsyncSession, ctx: Context) -> FamilySummaryPublic:
    """The released summary for the family reading it (audited as a read); 404 until they may."""
    principal = ctx.principal
    summary = await _readable_summary(session, principal, await _family_notification(session, principal))
    if summary is None:
        raise NotFound("There is no summary to read yet.")
    await audit.record(
        session, principal=principal, action=Action.family_summary_read.value, outcome="allowed", at=ctx.now,
        object_type="notification", object_ids=[str(principal.notification_id)],
    )  # fmt: skip
    agreed = await session.scalar(
        select(func.count())
        .select_from(PlanAction)
        .where(col(PlanAction.notification_id) == principal.notification_id, col(PlanAction.source_index).is_not(None))
    )
    return FamilySummaryPublic(text=summary.text, released_on=uk_date(summary.released_at), actions_agreed=agreed or 0)


async def release_summary(session: AsyncSession, ctx: Context, notification: Notification, text: str) -> FamilySummary:
    """Release (or correct) the summary for the families who asked for it: only of a completed review."""
    if notification.stage != Stage.completed:
        raise Conflict("Only the summary of a completed review can be released.")
    summary = await session.get(FamilySummary, notification.id)
    if summary is None:
        summary = FamilySummary(notification_id=notification.id, text=text, released_at=ctx.now,
                                released_by=ctx.principal.subject)  # fmt: skip
        session.add(summary)
    else:
        summary.text, summary.released_at, summary.released_by = text, ctx.now, ctx.principal.subject
    await add_history(session, ctx.principal, ctx.now, notification, HistoryKind.family_summary_released)
    # Area systems may contact the families who asked (their codes may have expired by now).
    await emit(session, EventType.family_summary_released, notification, ctx.now)
    return summary


async def staff_summary(session: AsyncSession, notification: Notification) -> FamilySummary:
    summary = await session.get(FamilySummary, notification.id)
    if summary is None:
        raise NotFound("No summary has been released.")
    return summary


async def families_asking(session: AsyncSession, notification: Notification) -> int:
    # Expired invitations count: the family asked, even if their code has lapsed since.
    query = select(func.count()).where(
        FamilyInvitation.notification_id == notification.id,
        col(FamilyInvitation.wants_summary).is_(True),
        col(FamilyInvitation.revoked_at).is_(None),
    )
    return int((await session.exec(query)).one())
