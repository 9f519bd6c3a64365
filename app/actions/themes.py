"""An area's themes for a period: how many signed-off reviews raised each, and the plan's actions answering it.

Aggregate queries on indexed tables (review_theme by area and day, plan_action_theme by area and theme), so
the cost follows the number of themes, not of reviews or actions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actions.models import PlanAction, PlanActionTheme, ReviewTheme
from app.actions.rules import OPEN_STATUSES
from app.actions.schemas import ThemeActions, ThemeRow, ThemesReport
from app.findings.schemas import ActionStatus
from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reports.disclosure import publish_count


def overdue_case(today: date) -> ColumnElement[int]:
    open_ = col(PlanAction.status).in_([s.value for s in OPEN_STATUSES])
    return case((and_(open_, col(PlanAction.due_on) < today), 1), else_=0)


async def themes_report(
    session: AsyncSession, area: str, start: date, end: date, today: date, *, disclosure_controlled: bool
) -> ThemesReport:
    raised: dict[str, int] = dict(
        (
            await session.exec(  # type: ignore[call-overload]
                sa_select(col(ReviewTheme.theme), func.count())
                .where(
                    col(ReviewTheme.area_ods) == area,
                    col(ReviewTheme.signed_off_on) >= start,
                    col(ReviewTheme.signed_off_on) <= end,
                )
                .group_by(col(ReviewTheme.theme))
            )
        ).all()
    )
    signed_off = (
        await session.exec(  # type: ignore[call-overload]
            sa_select(func.count()).where(
                col(Notification.completed_on) >= start,
                col(Notification.completed_on) <= end,
                col(Notification.area_ods) == area,
                col(Notification.stage) == Stage.completed.value,
            )
        )
    ).scalar_one()
    actions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = await session.exec(  # type: ignore[call-overload]
        sa_select(col(PlanActionTheme.theme), col(PlanAction.status), func.count(), func.sum(overdue_case(today)))
        .join(PlanAction, col(PlanAction.id) == col(PlanActionTheme.action_id))
        # The area on both sides, so each is read by its area index (not the whole plan, hash-joined).
        .where(col(PlanActionTheme.area_ods) == area, col(PlanAction.area_ods) == area)
        .group_by(col(PlanActionTheme.theme), col(PlanAction.status))
    )
    for theme, status, n, overdue in rows.all():
        actions[theme][status] += n
        actions[theme]["overdue"] += int(overdue or 0)
    names = sorted(set(raised) | set(actions), key=lambda t: (-raised.get(t, 0), t))

    def count(n: int) -> int | str:
        return publish_count(n) if disclosure_controlled else n

    themes = []
    for name in names:
        by = actions.get(name, {})
        total = sum(by.get(s.value, 0) for s in ActionStatus)
        summary = ThemeActions(
            total=count(total),
            overdue=count(by.get("overdue", 0)),
            **{s.value: count(by.get(s.value, 0)) for s in ActionStatus},
        )
        themes.append(ThemeRow(theme=name, reviews=count(raised.get(name, 0)), actions=summary, has_action=total > 0))
    return ThemesReport(
        area_ods=area,
        from_=start,
        to=end,
        signed_off_reviews=count(signed_off),
        disclosure_controlled=disclosure_controlled,
        themes=themes,
    )


async def overdue_by_area(session: AsyncSession, today: date, area: str | None = None) -> dict[str, int]:
    """How many actions are overdue in each area (counts only): for the dashboards."""
    query = (
        sa_select(col(PlanAction.area_ods), func.count())
        .where(col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]), col(PlanAction.due_on) < today)
        .group_by(col(PlanAction.area_ods))
    )
    if area is not None:
        query = query.where(col(PlanAction.area_ods) == area)
    return dict((await session.exec(query)).all())  # type: ignore[call-overload]
