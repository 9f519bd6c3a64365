"""The action plan: actions made at sign-off or by the coordinator, their progress, and who may see them.

Every write here is in the request's one transaction: the row, its update record, its audit rows and its
outbox event commit together or not at all."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actions.models import PlanAction, PlanActionTheme, PlanActionUpdate, ReviewTheme
from app.actions.rules import ALL_THEMES, OPEN_STATUSES, is_overdue, themes_of, update_problems
from app.actions.schemas import ActionCreate, ActionPublic, ActionUpdateCreate, ActionUpdatePublic
from app.audit import service as audit
from app.auth.policy import Role
from app.auth.service import Principal
from app.core.errors import InvalidInput, NotFound, invalid_field
from app.core.versioning import claim_version
from app.events.models import OutboxEvent
from app.events.service import EventType
from app.findings.models import FindingsRecord
from app.findings.schemas import ActionStatus, Findings
from app.flags.models import BiasFlag
from app.notifications.models import Notification
from app.reviews.service import Context

OBJECT_TYPE = "plan_action"
PAGE_LIMIT_MAX = 200


@dataclass(frozen=True)
class ActionFilters:
    area: str | None = None
    status: ActionStatus | None = None
    overdue: bool | None = None
    theme: str | None = None
    owner_organisation: str | None = None
    notification_id: uuid.UUID | None = None


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Coordinators: their area's plan. Reviewers: the actions of reviews allocated to them. No one else."""
    if principal.role is Role.coordinator:
        return col(PlanAction.area_ods) == principal.area
    if principal.role is Role.reviewer:
        own = select(Notification.id).where(col(Notification.reviewer_id) == principal.user_id)
        return col(PlanAction.notification_id).in_(own)
    return false()


def event_row(type_: EventType, action: PlanAction, at: datetime, **payload: Any) -> OutboxEvent:
    """Ids, status and dates only: an action's text can name people and providers."""
    return OutboxEvent(
        type=type_.value,
        occurred_at=at,
        notification_id=action.notification_id,
        area_ods=action.area_ods,
        payload={"action_id": str(action.id), "status": action.status, "due_on": action.due_on.isoformat(), **payload},
    )


async def plan_from_sign_off(session: AsyncSession, ctx: Context, notification: Notification) -> None:
    """At sign-off: the review's themes are recorded and each SMART action joins the area's plan."""
    record = await session.get(FindingsRecord, notification.id)
    findings = Findings.model_validate(record.data if record else {})
    kinds = (
        await session.exec(
            select(BiasFlag.kind).where(
                BiasFlag.notification_id == notification.id, col(BiasFlag.dismissed_at).is_(None)
            )
        )
    ).all()
    themes = themes_of(findings, kinds)
    today = ctx.today
    for theme in themes:
        session.add(
            ReviewTheme(
                notification_id=notification.id, theme=theme, area_ods=notification.area_ods, signed_off_on=today
            )
        )
    for index, smart in enumerate(findings.actions):
        action = PlanAction(
            area_ods=notification.area_ods,
            notification_id=notification.id,
            source_index=index,
            what=smart.what,
            owner_organisation=smart.owner_organisation,
            due_on=smart.due_on,
            status=smart.status.value,
            closed_on=today if smart.status not in OPEN_STATUSES else None,
            created_at=ctx.now,
            created_by=ctx.principal.subject,
        )
        await _add(session, ctx, action, themes)


async def _add(session: AsyncSession, ctx: Context, action: PlanAction, themes: Sequence[str]) -> None:
    session.add(action)
    await session.flush()
    for theme in sorted(set(themes)):
        session.add(PlanActionTheme(action_id=action.id, theme=theme, area_ods=action.area_ods))
    session.add(event_row(EventType.action_created, action, ctx.now))
    await _audit(session, ctx, "action.create", [action])


async def create(session: AsyncSession, ctx: Context, data: ActionCreate) -> ActionPublic:
    """An area-level action, in the coordinator's own area."""
    area = ctx.principal.area
    assert area is not None  # coordinators always have one
    unknown = sorted(set(data.themes) - set(ALL_THEMES))
    if unknown:
        raise invalid_field("themes", f"unknown theme {unknown[0]!r}; GET /areas/{{ods_code}}/themes lists them")
    if data.notification_id is not None:
        review = await session.get(Notification, data.notification_id)
        if review is None or review.area_ods != area:
            raise invalid_field("notification_id", "is not a review of your area")
    action = PlanAction(
        area_ods=area,
        notification_id=data.notification_id,
        what=data.what,
        owner_organisation=data.owner_organisation,
        due_on=data.due_on,
        status=ActionStatus.planned.value,
        created_at=ctx.now,
        created_by=ctx.principal.subject,
    )
    await _add(session, ctx, action, data.themes)
    return (await _views(session, [action], ctx.today))[0]


async def find_visible(session: AsyncSession, principal: Principal, action_id: uuid.UUID) -> PlanAction:
    action = (await session.exec(select(PlanAction).where(PlanAction.id == action_id, visible_to(principal)))).first()
    if action is None:
        raise NotFound("No such action.")
    return action


async def get(session: AsyncSession, ctx: Context, action_id: uuid.UUID) -> ActionPublic:
    action = await find_visible(session, ctx.principal, action_id)
    await _audit(session, ctx, "action.read", [action])
    view = (await _views(session, [action], ctx.today))[0]
    rows = (
        await session.exec(
            select(PlanActionUpdate).where(PlanActionUpdate.action_id == action.id).order_by(col(PlanActionUpdate.id))
        )
    ).all()
    view.updates = [ActionUpdatePublic.model_validate(row, from_attributes=True) for row in rows]
    return view


async def add_update(
    session: AsyncSession, ctx: Context, action_id: uuid.UUID, data: ActionUpdateCreate, version: int
) -> ActionPublic:
    action = await find_visible(session, ctx.principal, action_id)
    current = ActionStatus(action.status)
    problems = update_problems(
        current,
        action.due_on,
        to_status=data.status,
        due_on=data.due_on,
        due_on_reason=data.due_on_reason,
        note=data.note,
    )
    if problems:
        raise InvalidInput(problems)
    await claim_version(session, action, version)
    to_status = data.status or current
    to_due_on = data.due_on or action.due_on
    session.add(
        PlanActionUpdate(
            action_id=action.id,
            at=ctx.now,
            by=ctx.principal.subject,
            from_status=current.value,
            to_status=to_status.value,
            from_due_on=action.due_on,
            to_due_on=to_due_on,
            note=data.note if not data.due_on_reason else f"{data.note}\n\nDue date moved: {data.due_on_reason}",
            evidence_reference=data.evidence_reference,
        )
    )
    action.status = to_status.value
    action.due_on = to_due_on
    if to_status not in OPEN_STATUSES:
        action.closed_on = ctx.today
    session.add(action)
    session.add(event_row(EventType.action_updated, action, ctx.now, from_status=current.value))
    await _audit(session, ctx, "action.update", [action])
    await session.flush()
    return await get(session, ctx, action.id)


def _conditions(filters: ActionFilters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.area is not None:
        conditions.append(col(PlanAction.area_ods) == filters.area)
    if filters.status is not None:
        conditions.append(col(PlanAction.status) == filters.status.value)
    open_ = col(PlanAction.status).in_([s.value for s in OPEN_STATUSES])
    if filters.overdue is True:
        conditions.append(and_(open_, col(PlanAction.due_on) < today))
    elif filters.overdue is False:
        conditions.append(or_(~open_, col(PlanAction.due_on) >= today))
    if filters.theme is not None:
        conditions.append(
            col(PlanAction.id).in_(select(PlanActionTheme.action_id).where(PlanActionTheme.theme == filters.theme))
        )
    if filters.owner_organisation is not None:
        conditions.append(col(PlanAction.owner_organisation) == filters.owner_organisation)
    if filters.notification_id is not None:
        conditions.append(col(PlanAction.notification_id) == filters.notification_id)
    return conditions


async def list_actions(
    session: AsyncSession, ctx: Context, filters: ActionFilters, cursor: str | None, limit: int
) -> tuple[list[ActionPublic], str | None]:
    """Oldest due date first (with `overdue=true`: most late first), then by id; keyset pages."""
    query = select(PlanAction).where(visible_to(ctx.principal), *_conditions(filters, ctx.today))
    if cursor is not None:
        after_due, after_id = decode_cursor(cursor)
        query = query.where(tuple_(col(PlanAction.due_on), col(PlanAction.id)) > tuple_(after_due, after_id))
    rows = list((await session.exec(query.order_by(col(PlanAction.due_on), col(PlanAction.id)).limit(limit + 1))).all())
    more = len(rows) > limit
    page = rows[:limit]
    await _audit(session, ctx, "action.read", page)
    next_cursor = encode_cursor(page[-1]) if more else None
    return await _views(session, page, ctx.today), next_cursor


def encode_cursor(last: PlanAction) -> str:
    raw = json.dumps([last.due_on.isoformat(), str(last.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, action_id = json.loads(raw)
        return date.fromisoformat(due), uuid.UUID(action_id)
    except (binascii.Error, ValueError, TypeError, AttributeError, UnicodeDecodeError):
        raise invalid_field("cursor", "not a cursor this service issued", location="query") from None


async def _views(session: AsyncSession, actions: Sequence[PlanAction], today: date) -> list[ActionPublic]:
    themes: dict[uuid.UUID, list[str]] = defaultdict(list)
    if actions:
        rows = (
            await session.exec(
                select(PlanActionTheme).where(col(PlanActionTheme.action_id).in_([a.id for a in actions]))
            )
        ).all()
        for row in rows:
            themes[row.action_id].append(row.theme)
    return [
        ActionPublic(
            id=a.id,
            area_ods=a.area_ods,
            notification_id=a.notification_id,
            from_review=a.source_index is not None,
            what=a.what,
            owner_organisation=a.owner_organisation,
            due_on=a.due_on,
            status=ActionStatus(a.status),
            overdue=is_overdue(a.status, a.due_on, today),
            days_overdue=(today - a.due_on).days if is_overdue(a.status, a.due_on, today) else 0,
            closed_on=a.closed_on,
            themes=sorted(themes[a.id]),
            version=a.version,
            created_at=a.created_at,
            created_by=a.created_by,
        )
        for a in actions
    ]


async def _audit(session: AsyncSession, ctx: Context, action: str, rows: Sequence[PlanAction]) -> None:
    await audit.record(
        session,
        principal=ctx.principal,
        action=action,
        outcome="allowed",
        at=ctx.now,
        object_type=OBJECT_TYPE,
        object_ids=[str(row.id) for row in rows],
    )
