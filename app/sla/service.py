"""The clock applied to stored notifications: compute, store the sortable columns, filter in SQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, and_, case, false, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reviews.models import Hold
from app.reviews.stages import OPEN_STAGES
from app.sla.clock import STANDARD_MONTHS, Clock, HoldPeriod, Sla, SlaState, add_months, compute_sla
from app.sla.schemas import HoldArithmetic, SlaExplanation


def periods(holds: Iterable[Hold]) -> list[HoldPeriod]:
    return [HoldPeriod(h.started_on, h.ended_on) for h in holds]


def sla_of(notification: Notification, holds: Sequence[Hold], today: date, at_risk_days: int) -> Sla | None:
    """The clocks of a review; None for an excluded notification, which has no review to time."""
    if notification.stage == Stage.excluded:
        return None
    return compute_sla(notification.notified_on, periods(holds), notification.completed_on, today, at_risk_days)


def store_clock(notification: Notification, holds: Sequence[Hold], today: date) -> None:
    """Keep the SQL-side columns in step; call after any change to stage, holds or completion.

    None of them depends on the at-risk threshold, which is applied when reading."""
    columns = clock_columns(notification.notified_on, periods(holds), notification.completed_on, today)
    notification.sla_due_ordinal = columns["sla_due_ordinal"]
    notification.sla_paused_since_ordinal = columns["sla_paused_since_ordinal"]
    notification.sla_outcome = columns["sla_outcome"]


class ClockColumns(TypedDict):
    sla_due_ordinal: int
    sla_paused_since_ordinal: int | None
    sla_outcome: str | None


def clock_columns(notified_on: date, holds: list[HoldPeriod], completed_on: date | None, today: date) -> ClockColumns:
    """The stored SLA columns, from plain values: what `store_clock` writes, for rows built without the ORM."""
    clock = compute_sla(notified_on, holds, completed_on, today).hold_adjusted
    return ClockColumns(
        sla_due_ordinal=clock.due_on.toordinal(),
        sla_paused_since_ordinal=today.toordinal() if clock.paused else None,
        sla_outcome=clock.state.value if completed_on else None,
    )


async def holds_by_notification(
    session: AsyncSession, notification_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Hold]]:
    """Every hold of these notifications in one query (no N+1 on list pages)."""
    found: dict[uuid.UUID, list[Hold]] = defaultdict(list)
    if notification_ids:
        query = select(Hold).where(col(Hold.notification_id).in_(notification_ids)).order_by(col(Hold.started_at))
        for hold in (await session.exec(query)).all():
            found[hold.notification_id].append(hold)
    return found


def live_due_ordinal(today: date) -> ColumnElement[int]:
    """The hold-adjusted due date as a day number, in SQL, as of `today`."""
    paused = col(Notification.sla_paused_since_ordinal)
    return case(
        (paused.is_(None), col(Notification.sla_due_ordinal)),
        else_=col(Notification.sla_due_ordinal) + (today.toordinal() - paused),
    )


def state_filter(state: SlaState, today: date, at_risk_days: int) -> ColumnElement[bool]:
    """Notifications whose hold-adjusted clock is in `state` today; the same rules as app.sla.clock."""
    if state in (SlaState.met, SlaState.missed):
        return col(Notification.sla_outcome) == state.value
    due = col(Notification.sla_due_ordinal)
    paused = col(Notification.sla_paused_since_ordinal)
    open_review = col(Notification.stage).in_([s.value for s in OPEN_STAGES])
    day = today.toordinal()
    running_left, paused_left = due - day, due - paused
    if state is SlaState.breached:
        return and_(open_review, paused.is_(None), due < day)
    if state is SlaState.at_risk:
        return and_(
            open_review,
            or_(
                and_(paused.is_(None), running_left >= 0, running_left <= at_risk_days),
                and_(paused.is_not(None), paused_left <= at_risk_days),
            ),
        )
    if state is SlaState.on_track:
        return and_(
            open_review,
            or_(
                and_(paused.is_(None), running_left > at_risk_days),
                and_(paused.is_not(None), paused_left > at_risk_days),
            ),
        )
    return false()


def clock_document(clock: Clock) -> dict[str, Any]:
    """`ClockView` as a plain dictionary, for views built without pydantic (app/notifications/stored.py)."""
    return {
        "due_on": clock.due_on,
        "days_elapsed": clock.days_elapsed,
        "days_on_hold": clock.days_on_hold,
        "days_counted": clock.days_counted,
        "days_remaining": clock.days_remaining,
        "state": clock.state,
        "paused": clock.paused,
    }


def sla_document(sla: Sla) -> dict[str, Any]:
    """`SlaView` as a plain dictionary."""
    return {
        "notified_on": sla.notified_on,
        "completed_on": sla.completed_on,
        "state": sla.hold_adjusted.state,
        "hold_adjusted": clock_document(sla.hold_adjusted),
        "raw": clock_document(sla.raw),
    }


def explain(sla: Sla, holds: Sequence[Hold], today: date, at_risk_days: int) -> SlaExplanation:
    until = sla.completed_on or today
    base = add_months(sla.notified_on, STANDARD_MONTHS)
    adjusted = sla.hold_adjusted
    steps = [f"notified on {sla.notified_on.isoformat()}; + {STANDARD_MONTHS} calendar months = {base.isoformat()}"]
    if adjusted.days_on_hold:
        steps.append(f"+ {adjusted.days_on_hold} days on hold = due on {adjusted.due_on.isoformat()}")
    ignored = sum(((h.ended_on or until) - h.started_on).days for h in holds) - adjusted.days_on_hold
    if ignored > 0:
        steps.append(f"{ignored} days of hold not counted (overlapping, or begun after the due date)")
    verb = "completed" if sla.completed_on else "today is"
    steps.append(
        f"{verb} {until.isoformat()}: {adjusted.days_elapsed} days elapsed, {adjusted.days_counted} counted, "
        f"{adjusted.days_remaining} days remaining: {adjusted.state.value}"
    )
    return SlaExplanation(
        **sla_document(sla),
        today=today,
        standard=f"{STANDARD_MONTHS} calendar months from notification, plus time on hold",
        at_risk_days=at_risk_days,
        holds=[
            HoldArithmetic(
                reason=h.reason,
                started_on=h.started_on,
                ended_on=h.ended_on,
                days=max(((h.ended_on or until) - h.started_on).days, 0),
            )
            for h in holds
        ],
        arithmetic=steps,
    )
