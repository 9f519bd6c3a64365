"""The review's workflow: stage transitions, allocation, holds and focused-review decisions.

Every write here: checks the caller's version (If-Match) with a conditional UPDATE, changes the
notification, appends history, writes an outbox event and restores the SLA columns, all in the
request's one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.policy import Role
from app.auth.service import Principal
from app.core.clock import uk_date
from app.core.db import one_at_a_time
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound, invalid_field
from app.core.versioning import claim_version
from app.events.service import EventType, emit, event_row
from app.findings.models import FindingsRecord
from app.findings.rules import missing_for_sign_off
from app.findings.schemas import Findings
from app.flags import service as flags
from app.notifications.enums import EthnicCategory, Stage
from app.notifications.models import Notification
from app.reviewers.models import ReviewerProfile
from app.reviews import spans
from app.reviews.focused import focused_review_reasons
from app.reviews.models import HistoryEntry, HistoryKind, Hold
from app.reviews.schemas import (
    AllocationRequest,
    FocusedReview,
    FocusedReviewWaiver,
    HoldRequest,
    TransitionRequest,
)
from app.reviews.stages import ACTIVE_REVIEW_STAGES, CLOSED_STAGES, Move, edge_for, next_stages
from app.sla import service as sla
from app.users.models import StaffUser


@dataclass(frozen=True)
class Context:
    """Who is acting, and when."""

    principal: Principal
    now: datetime
    at_risk_days: int

    @property
    def today(self) -> date:
        return uk_date(self.now)


class StageConflict(Conflict):
    slug = "stage-conflict"
    title = "That move is not possible from this stage"


class AllocationRefused(Conflict):
    slug = "allocation-refused"
    title = "The allocation was refused"


class FocusedReviewRequired(Conflict):
    slug = "focused-review-required"
    title = "A focused review is required"


def focused_review(notification: Notification) -> FocusedReview:
    """Why a focused review is required, whether one was done, and what a coordinator waived.

    A waiver covers the reasons that stood when it was given; a reason that arises later (a family's
    request, say) makes a focused review required again.
    """
    reasons = focused_review_reasons(
        EthnicCategory(notification.ethnic_category),
        notification.focused_review_requested_by_family,
        notification.open_bias_flags,
    )
    waiver = FocusedReviewWaiver(**notification.focused_review_waiver) if notification.focused_review_waiver else None
    outstanding = [r for r in reasons if waiver is None or r not in waiver.reasons]
    done = notification.focused_review_done
    return FocusedReview(
        required=bool(outstanding) and not done, reasons=reasons, outstanding=outstanding, done=done, waiver=waiver
    )


async def _refuse_incomplete_findings(session: AsyncSession, notification: Notification, *, focused: bool) -> None:
    record = await session.get(FindingsRecord, notification.id)
    findings = Findings.model_validate(record.data) if record else Findings()
    problems = missing_for_sign_off(findings, focused_review=focused)
    if problems:
        raise InvalidInput(problems, detail="The findings are not ready for sign-off: " + "; ".join(
            p.message for p in problems))  # fmt: skip


def _refuse_without_focused_review(notification: Notification) -> None:
    state = focused_review(notification)
    if state.required:
        raise FocusedReviewRequired(
            "Open a focused review, or ask the coordinator to record a decision to skip it.",
            reasons=[r.value for r in state.outstanding],
        )


async def add_history(
    session: AsyncSession,
    principal: Principal,
    at: datetime,
    notification: Notification,
    kind: HistoryKind,
    *,
    from_stage: str | None = None,
    to_stage: str | None = None,
    reason: str | None = None,
    **details: Any,
) -> None:
    row = history_row(
        principal, at, notification.id, kind, from_stage=from_stage, to_stage=to_stage, reason=reason, **details
    )
    session.add(HistoryEntry(**row))


def history_row(
    principal: Principal,
    at: datetime,
    notification_id: uuid.UUID,
    kind: HistoryKind,
    *,
    from_stage: str | None = None,
    to_stage: str | None = None,
    reason: str | None = None,
    **details: Any,
) -> dict[str, Any]:
    """A timeline entry's columns: for `add_history`, and for rows written many at a time."""
    return {
        "notification_id": notification_id,
        "at": at,
        "actor": principal.subject,
        "role": principal.role.value,
        "kind": kind.value,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "reason": reason,
        "details": {k: v for k, v in details.items() if v is not None},
    }


async def _restore_clock(session: AsyncSession, ctx: Context, notification: Notification) -> None:
    await session.flush()
    holds = (await sla.holds_by_notification(session, [notification.id]))[notification.id]
    sla.store_clock(notification, holds, ctx.today)


async def change_stage(
    session: AsyncSession,
    ctx: Context,
    notification: Notification,
    to: Stage,
    reason: str | None,
    *,
    through_own_endpoint: bool = False,
    **details: Any,
) -> Move:
    """The one function that moves a review between stages, by the table in app.reviews.stages."""
    current = Stage(notification.stage)
    role = ctx.principal.role
    edge = edge_for(current, to)
    if edge is None:
        raise StageConflict(
            f"A review in {current.value} cannot move to {to.value}.",
            current_stage=current.value,
            allowed_next_stages=[s.value for s in next_stages(current, role, by_transition=True)],
        )
    if edge.own_endpoint and not through_own_endpoint:
        raise StageConflict(
            f"To {edge.move.value.replace('_', ' ')}, use {edge.own_endpoint}.",
            current_stage=current.value,
            allowed_next_stages=[s.value for s in next_stages(current, role, by_transition=True)],
        )
    if role not in edge.roles:
        raise Forbidden(f"The {role.value} role may not {edge.move.value.replace('_', ' ')}.")
    if edge.needs_reason and not reason:
        raise invalid_field("reason", f"is required to {edge.move.value.replace('_', ' ')}")
    if edge.move is Move.submit_for_sign_off:
        await _refuse_incomplete_findings(session, notification, focused=current is Stage.focused_review)
    if edge.move is Move.sign_off:  # again: nothing may complete with findings short of what was submitted
        await _refuse_incomplete_findings(session, notification, focused=notification.focused_review_done)
    if (edge.move is Move.submit_for_sign_off and current is Stage.initial_review) or edge.move is Move.sign_off:
        _refuse_without_focused_review(notification)  # at sign-off too: a reason may have arisen since
    if to is Stage.excluded and current is Stage.on_hold:
        waiting_on = await open_hold(session, notification)
        if waiting_on is not None:
            _end(waiting_on, ctx)

    if current is Stage.focused_review and to is Stage.awaiting_sign_off:
        notification.focused_review_done = True
    notification.stage = to.value
    notification.stage_changed_at = ctx.now
    await spans.move(session, notification, to, ctx.today)
    if to is Stage.completed:
        notification.completed_on = ctx.today
    await add_history(
        session,
        ctx.principal,
        ctx.now,
        notification,
        HistoryKind.stage_changed,
        from_stage=current,
        to_stage=to,
        reason=reason,
        move=edge.move.value,
        **details,
    )
    await _restore_clock(session, ctx, notification)
    await emit(
        session,
        EventType.stage_changed,
        notification,
        ctx.now,
        from_stage=current.value,
        move=edge.move.value,
    )
    if to is Stage.completed:
        await emit(session, EventType.review_completed, notification, ctx.now, sla_outcome=notification.sla_outcome)
    if edge.move is Move.sign_off:
        from app.actions.service import plan_from_sign_off  # here: app.actions builds on this module

        await plan_from_sign_off(session, ctx, notification)
    return edge.move


async def transition(
    session: AsyncSession, ctx: Context, notification: Notification, body: TransitionRequest, version: int
) -> None:
    await claim_version(session, notification, version)
    await change_stage(session, ctx, notification, body.to, body.reason)


async def allocate(
    session: AsyncSession, ctx: Context, notification: Notification, body: AllocationRequest, version: int
) -> None:
    # The version first: a caller working from a stale read gets 412, whatever else has changed.
    await claim_version(session, notification, version)
    if notification.stage in CLOSED_STAGES:
        raise AllocationRefused("The notification is closed.", refusal="notification_closed")
    # FOR UPDATE: concurrent allocations to one reviewer queue here, so the capacity count below holds.
    reviewer = (await session.exec(select(StaffUser).where(StaffUser.id == body.reviewer_id).with_for_update())).first()
    if reviewer is None or reviewer.role != Role.reviewer or reviewer.area_ods != notification.area_ods:
        raise AllocationRefused("That reviewer is not registered in this area.", refusal="reviewer_not_in_area")
    if not reviewer.active:
        raise AllocationRefused("That reviewer is inactive.", refusal="reviewer_inactive")
    previous = notification.reviewer_id
    if previous == reviewer.id:
        raise AllocationRefused("The review is already allocated to that reviewer.", refusal="already_allocated")
    if previous is not None and not body.reason:
        raise invalid_field("reason", "is required to reallocate")
    profile = await session.get(ReviewerProfile, reviewer.id)
    organisations = set(profile.organisations if profile else [])
    conflicts = sorted(organisations & caring_organisations(notification))
    if conflicts:
        raise AllocationRefused(
            "The reviewer works for an organisation that cared for the person.",
            refusal="conflict_of_interest",
            organisations=conflicts,
        )
    await one_at_a_time(session, f"reviewer-load:{reviewer.id}")  # the count below holds till commit
    active = await active_review_count(session, reviewer.id)
    capacity = profile.max_active_reviews if profile else 0
    if active >= capacity and not body.capacity_override_reason:
        raise AllocationRefused(
            f"The reviewer has {active} active reviews, their maximum is {capacity}.",
            refusal="reviewer_at_capacity",
            active_reviews=active,
            max_active_reviews=capacity,
        )

    notification.reviewer_id = reviewer.id
    kind = HistoryKind.reallocated if previous else HistoryKind.allocated
    await add_history(
        session,
        ctx.principal,
        ctx.now,
        notification,
        kind,
        reason=body.reason,
        reviewer_id=str(reviewer.id),
        previous_reviewer_id=str(previous) if previous else None,
        capacity_override_reason=body.capacity_override_reason,
    )
    if notification.stage == Stage.notified:
        await change_stage(session, ctx, notification, Stage.allocated, None, through_own_endpoint=True)
    elif notification.stage == Stage.on_hold:
        held = await open_hold(session, notification)
        if held is not None and held.stage_before == Stage.notified:
            held.stage_before = Stage.allocated.value  # resumes as allocated, not back to unallocated
    event = EventType.notification_reallocated if previous else EventType.notification_allocated
    await emit(session, event, notification, ctx.now, reviewer_id=str(reviewer.id))


def caring_organisations(notification: Notification) -> set[str]:
    """Organisations that cared for the person: those named at intake, and the notifying organisation."""
    named = set(notification.care_providers)
    notifier_ods = notification.notifier.get("organisation_ods")
    return named | ({notifier_ods} if notifier_ods else set())


async def active_review_count(session: AsyncSession, reviewer_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        col(Notification.reviewer_id) == reviewer_id,
        col(Notification.stage).in_([s.value for s in ACTIVE_REVIEW_STAGES]),
    )
    return int((await session.exec(query)).one())


async def place_hold(
    session: AsyncSession, ctx: Context, notification: Notification, body: HoldRequest, version: int
) -> Hold:
    await claim_version(session, notification, version)
    if body.expected_end_on is not None and body.expected_end_on < ctx.today:
        raise invalid_field("expected_end_on", "is in the past")
    started_on = body.started_on or ctx.today
    if started_on > ctx.today:
        raise invalid_field("started_on", "is in the future")
    if started_on < notification.notified_on:
        raise invalid_field("started_on", "is before the death was notified")
    hold = Hold(
        notification_id=notification.id,
        reason=body.reason.value,
        reference=body.reference,
        expected_end_on=body.expected_end_on,
        stage_before=notification.stage,
        started_at=ctx.now,  # when it was entered; started_on is the day the clock stops from
        started_on=started_on,
        started_by=ctx.principal.subject,
    )
    if notification.stage != Stage.on_hold:  # a second hold is refused by the stage table below
        session.add(hold)
    await change_stage(
        session,
        ctx,
        notification,
        Stage.on_hold,
        body.reason.value,
        through_own_endpoint=True,
        hold_id=str(hold.id),
        reference=body.reference,
        expected_end_on=body.expected_end_on.isoformat() if body.expected_end_on else None,
        started_on=started_on.isoformat(),
    )
    await emit(
        session,
        EventType.put_on_hold,
        notification,
        ctx.now,
        hold_reason=hold.reason,
        expected_end_on=body.expected_end_on.isoformat() if body.expected_end_on else None,
    )
    return hold


async def end_hold(
    session: AsyncSession,
    ctx: Context,
    notification: Notification,
    hold_id: uuid.UUID,
    version: int,
    ended_on: date | None = None,
) -> Hold:
    await claim_version(session, notification, version)
    hold = await session.get(Hold, hold_id)
    if hold is None or hold.notification_id != notification.id:
        raise NotFound("No such hold.")
    if hold.ended_at is not None:
        raise Conflict("That hold has already ended.")
    ended_on = ended_on or ctx.today
    if ended_on > ctx.today:
        raise invalid_field("ended_on", "is in the future")
    if ended_on < hold.started_on:
        raise invalid_field("ended_on", "is before the hold started")
    stage_before = Stage(hold.stage_before)
    _end(hold, ctx)  # the review goes back to the stage it left: the table allows on_hold -> any open stage
    hold.ended_on = ended_on  # the day the clock runs again from; ended_at is when that was entered
    await change_stage(
        session,
        ctx,
        notification,
        stage_before,
        None,
        through_own_endpoint=True,
        hold_id=str(hold.id),
        ended_on=ended_on.isoformat(),
    )
    await emit(session, EventType.resumed, notification, ctx.now, hold_reason=hold.reason)
    return hold


def _end(hold: Hold, ctx: Context) -> None:
    hold.ended_at = ctx.now
    hold.ended_on = ctx.today
    hold.ended_by = ctx.principal.subject


async def open_hold(session: AsyncSession, notification: Notification) -> Hold | None:
    query = select(Hold).where(Hold.notification_id == notification.id, col(Hold.ended_at).is_(None))
    return (await session.exec(query)).first()


async def waive_focused_review(
    session: AsyncSession, ctx: Context, notification: Notification, reason: str, version: int
) -> None:
    """A coordinator's recorded decision that a required focused review will not take place."""
    await claim_version(session, notification, version)
    if notification.stage in CLOSED_STAGES:
        raise Conflict("The review is closed.", current_stage=notification.stage)
    state = focused_review(notification)
    if not state.required:
        raise Conflict("No focused review is outstanding, so there is nothing to waive.")
    notification.focused_review_waiver = {
        "reason": reason,
        "by": ctx.principal.subject,
        "at": ctx.now.isoformat(),
        "reasons": [r.value for r in state.reasons],
    }
    await add_history(
        session, ctx.principal, ctx.now, notification, HistoryKind.focused_review_waived, reason=reason,
        waived_reasons=[r.value for r in state.reasons],
    )  # fmt: skip


async def history(session: AsyncSession, notification: Notification) -> list[HistoryEntry]:
    query = select(HistoryEntry).where(HistoryEntry.notification_id == notification.id).order_by(col(HistoryEntry.id))
    return list((await session.exec(query)).all())


async def dismiss_flag(
    session: AsyncSession, ctx: Context, notification: Notification, flag_id: uuid.UUID, reason: str, version: int
) -> None:
    """A coordinator's recorded decision that a raised flag does not stand."""
    await claim_version(session, notification, version)
    flag = await flags.dismiss(session, notification, flag_id, reason, ctx.principal.subject, ctx.now)
    await add_history(
        session, ctx.principal, ctx.now, notification, HistoryKind.flag_dismissed, reason=reason, flag_id=str(flag.id),
        flag_kind=flag.kind,
    )  # fmt: skip


@dataclass(frozen=True)
class CreationRows:
    span: dict[str, Any] | None
    history: dict[str, Any]
    event: dict[str, Any]


def creation_rows(principal: Principal, notification: Mapping[str, Any], now: datetime) -> CreationRows:
    """The first lines of a new notification's timeline and change feed, and its first stage span, as column
    values (app/notifications/recording.py)."""
    notification_id, area, notified_on = notification["id"], notification["area_ods"], notification["notified_on"]
    stage, route, reason = notification["stage"], notification["review_route"], notification["closure_reason"]
    outcome = {"review_route": route, "closure_reason": reason}
    return CreationRows(
        span=spans.span_row(notification_id, area, notified_on, Stage(stage), notified_on),
        history=history_row(principal, now, notification_id, HistoryKind.notified, to_stage=stage, **outcome),
        event=event_row(EventType.notification_created, notification_id, area, stage, now, outcome),
    )
