"""Coordinators' register of reviewers in their area, and what each is carrying."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select  # sqlmodel's select takes at most four columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.policy import Role
from app.core.errors import NotFound
from app.core.versioning import claim_version
from app.notifications.models import Notification
from app.reviewers.models import ReviewerProfile
from app.reviewers.schemas import ReviewerCreate, ReviewerPublic, ReviewerUpdate, WorkloadItem
from app.reviews.service import Context
from app.reviews.stages import ACTIVE_REVIEW_STAGES
from app.sla import service as sla
from app.sla.clock import SlaState
from app.users.models import StaffUser
from app.users.schemas import UserCreate
from app.users.service import create_user


async def register(session: AsyncSession, ctx: Context, data: ReviewerCreate) -> ReviewerPublic:
    """A new reviewer in the coordinator's own area."""
    area = ctx.principal.area
    assert area is not None  # coordinators always have one (database constraint)
    user = await create_user(
        session,
        UserCreate(
            role=Role.reviewer,
            area_ods=area,
            name=data.name,
            email=data.email,
        ),
        ctx.now,
    )
    profile = await session.get(ReviewerProfile, user.id)
    assert profile is not None  # create_user gives every reviewer one
    profile.organisations = sorted(set(data.organisations))
    profile.max_active_reviews = data.max_active_reviews
    await session.flush()
    return (await list_in_area(session, ctx, [user.id]))[0]


async def get_in_area(session: AsyncSession, ctx: Context, reviewer_id: uuid.UUID) -> ReviewerPublic:
    found = await list_in_area(session, ctx, [reviewer_id])
    if not found:
        raise NotFound("No such reviewer.")
    return found[0]


async def update(
    session: AsyncSession, ctx: Context, reviewer_id: uuid.UUID, data: ReviewerUpdate, version: int
) -> ReviewerPublic:
    await get_in_area(session, ctx, reviewer_id)
    user = await session.get(StaffUser, reviewer_id)
    profile = await session.get(ReviewerProfile, reviewer_id)
    assert user is not None and profile is not None
    await claim_version(session, profile, version)
    if data.name is not None:
        user.name = data.name
    if data.active is not None:
        user.active = data.active  # an inactive reviewer keeps their reviews until reallocated
    if data.organisations is not None:
        profile.organisations = sorted(set(data.organisations))
    if data.max_active_reviews is not None:
        profile.max_active_reviews = data.max_active_reviews
    await session.flush()
    return await get_in_area(session, ctx, reviewer_id)


async def list_in_area(
    session: AsyncSession, ctx: Context, only: Sequence[uuid.UUID] | None = None
) -> list[ReviewerPublic]:
    """The area's reviewers with what each is carrying, counted in SQL in one query."""
    today = ctx.today
    active = col(Notification.stage).in_([s.value for s in ACTIVE_REVIEW_STAGES])

    def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    workload = (
        sa_select(
            col(Notification.reviewer_id).label("reviewer_id"),
            count_where(active).label("active_reviews"),
            count_where(sla.state_filter(SlaState.at_risk, today, ctx.at_risk_days)).label("at_risk"),
            count_where(sla.state_filter(SlaState.breached, today, ctx.at_risk_days)).label("breached"),
            func.min(case((active, sla.live_due_ordinal(today)))).label("next_due"),
        )
        .where(col(Notification.reviewer_id).is_not(None))
        .group_by(col(Notification.reviewer_id))
        .subquery()
    )
    query = (
        sa_select(
            StaffUser,
            ReviewerProfile,
            workload.c.active_reviews,
            workload.c.at_risk,
            workload.c.breached,
            workload.c.next_due,
        )
        .join(ReviewerProfile, col(ReviewerProfile.user_id) == col(StaffUser.id))
        .outerjoin(workload, workload.c.reviewer_id == col(StaffUser.id))
        .where(col(StaffUser.role) == Role.reviewer.value, col(StaffUser.area_ods) == ctx.principal.area)
        .order_by(col(StaffUser.name), col(StaffUser.id))
    )
    if only is not None:
        query = query.where(col(StaffUser.id).in_(only))
    rows = (await session.exec(query)).all()  # type: ignore[call-overload]
    return [
        ReviewerPublic(
            id=user.id,
            version=profile.version,
            area_ods=user.area_ods,
            name=user.name,
            email=user.email,
            active=user.active,
            organisations=profile.organisations,
            max_active_reviews=profile.max_active_reviews,
            active_reviews=active_reviews or 0,
            at_risk=at_risk or 0,
            breached=breached or 0,
            next_due_on=date.fromordinal(next_due) if next_due else None,
        )
        for user, profile, active_reviews, at_risk, breached, next_due in rows
    ]


async def workload(session: AsyncSession, ctx: Context, reviewer_id: uuid.UUID) -> list[WorkloadItem]:
    await get_in_area(session, ctx, reviewer_id)
    query = (
        select(Notification)
        .where(
            col(Notification.reviewer_id) == reviewer_id,
            col(Notification.stage).in_([s.value for s in ACTIVE_REVIEW_STAGES]),
        )
        .order_by(sla.live_due_ordinal(ctx.today), col(Notification.id))
    )
    notifications = (await session.exec(query)).all()
    holds = await sla.holds_by_notification(session, [n.id for n in notifications])
    items = []
    for notification in notifications:
        clocks = sla.sla_of(notification, holds[notification.id], ctx.today, ctx.at_risk_days)
        assert clocks is not None
        items.append(
            WorkloadItem(
                notification_id=notification.id,
                stage=notification.stage,
                notified_on=notification.notified_on,
                due_on=clocks.hold_adjusted.due_on,
                days_remaining=clocks.hold_adjusted.days_remaining,
                sla_state=clocks.hold_adjusted.state,
            )
        )
    return items
