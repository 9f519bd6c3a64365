"""The annual report's "Learning into action" section: what the area did about what its reviews raised.

Its own module (and template, templates/learning_into_action.html) so the rest of the annual report can
change beside it. Counts only, never an action's text: the report is published. Aggregate queries on the
plan's indexes; disclosure-controlled as the rest of the report when it is published."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actions.models import PlanAction, PlanActionTheme
from app.actions.rules import OPEN_STATUSES
from app.actions.schemas import Count, ThemeRow
from app.actions.themes import overdue_case, themes_report
from app.findings.schemas import ActionStatus
from app.reports.disclosure import publish_count
from app.reports.periods import Period


class OwnerActions(BaseModel):
    owner_organisation: str
    total: Count
    completed: Count
    open: Count
    overdue: Count


class ThemeCount(BaseModel):
    theme: str
    actions: Count


class LearningIntoAction(BaseModel):
    """The area's action plan as it stands on `as_of`, with what was completed in the year."""

    as_of: date = Field(description="The day the plan's figures were taken (statuses are as of then).")
    themes: list[ThemeRow] = Field(description="Themes reviews signed off in the year raised, and the actions.")
    actions_by_status: dict[ActionStatus, Count]
    actions_by_owner: list[OwnerActions]
    overdue: Count
    completed_in_year: Count
    open_priorities: list[ThemeCount] = Field(description="Open actions, by the theme they answer: next year's work.")


async def learning_into_action(
    session: AsyncSession, ods: str, period: Period, today: date, *, controlled: bool
) -> LearningIntoAction:
    def count(n: int) -> int | str:
        return publish_count(n) if controlled else n

    start, end = period.starts_on, period.ends_on
    themes = await themes_report(session, ods, start, end, today, disclosure_controlled=controlled)
    in_area = col(PlanAction.area_ods) == ods
    open_ = col(PlanAction.status).in_([s.value for s in OPEN_STATUSES])
    by_status = dict(
        (
            await session.exec(  # type: ignore[call-overload]
                sa_select(col(PlanAction.status), func.count()).where(in_area).group_by(col(PlanAction.status))
            )
        ).all()
    )
    owners = (
        await session.exec(  # type: ignore[call-overload]
            sa_select(
                col(PlanAction.owner_organisation),
                func.count(),
                func.sum(_when(col(PlanAction.status) == ActionStatus.completed.value)),
                func.sum(_when(open_)),
                func.sum(overdue_case(today)),
            )
            .where(in_area)
            .group_by(col(PlanAction.owner_organisation))
            .order_by(col(PlanAction.owner_organisation))
        )
    ).all()
    completed_in_year = (
        await session.exec(  # type: ignore[call-overload]
            sa_select(func.count()).where(
                in_area,
                col(PlanAction.status) == ActionStatus.completed.value,
                col(PlanAction.closed_on) >= period.starts_on,
                col(PlanAction.closed_on) <= period.ends_on,
            )
        )
    ).scalar_one()
    priorities = (
        await session.exec(  # type: ignore[call-overload]
            sa_select(col(PlanActionTheme.theme), func.count())
            .join(PlanAction, col(PlanAction.id) == col(PlanActionTheme.action_id))
            .where(col(PlanActionTheme.area_ods) == ods, in_area, open_)  # the area on both sides: by index
            .group_by(col(PlanActionTheme.theme))
            .order_by(func.count().desc(), col(PlanActionTheme.theme))
        )
    ).all()
    overdue = sum(int(row[4] or 0) for row in owners)
    return LearningIntoAction(
        as_of=today,
        themes=themes.themes,
        actions_by_status={s: count(by_status.get(s.value, 0)) for s in ActionStatus},
        actions_by_owner=[
            OwnerActions(
                owner_organisation=name,
                total=count(n),
                completed=count(int(done or 0)),
                open=count(int(still or 0)),
                overdue=count(int(late or 0)),
            )
            for name, n, done, still, late in owners
        ],
        overdue=count(overdue),
        completed_in_year=count(completed_in_year),
        open_priorities=[ThemeCount(theme=theme, actions=count(n)) for theme, n in priorities],
    )


def _when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def csv_rows(row: Callable[..., None], section: LearningIntoAction) -> None:
    """The section as the annual CSV's rows (`row(section, item, label, count)`)."""
    for theme in section.themes:
        row("learning_into_action:theme_reviews", theme.theme, theme.theme, theme.reviews)
        row("learning_into_action:theme_actions", theme.theme, theme.theme, theme.actions.total)
    for status, n in section.actions_by_status.items():
        row("learning_into_action:actions_by_status", status.value, status.value.replace("_", " "), n)
    for owner in section.actions_by_owner:
        label = safe_cell(owner.owner_organisation)
        for item in ("total", "completed", "open", "overdue"):
            row(f"learning_into_action:owner_{item}", label, label, getattr(owner, item))
    row("learning_into_action", "overdue", "Overdue", section.overdue)
    row("learning_into_action", "completed_in_year", "Completed in the year", section.completed_in_year)
    for priority in section.open_priorities:
        row("learning_into_action:open_priorities", priority.theme, priority.theme, priority.actions)


def safe_cell(text: str) -> str:
    """A spreadsheet must not read a stored name as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
