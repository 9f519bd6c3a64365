"""The programme's progress measures for a period, per area, counted in the database.

Each figure is defined here once (and the same words are in docs/reports.md):

- notified: notifications whose notification date falls in the period.
- open: reviews in an open stage at the end of the period's last day, by the stage they were in then:
  unallocated (notified, not yet allocated), on_hold, in_progress (allocated, initial review, focused review)
  and awaiting_sign_off. These four add up to open.
- open_past_six_months: of those open, how many were notified more than six calendar months before the
  period's end (the raw clock: holds do not extend it).
- completed: reviews signed off on a day in the period.
- completed_within_six_months: of those, signed off no later than six calendar months after notification
  (31 August + 6 months = 28/29 February), on the raw clock.
- completed_within_six_months_hold_adjusted: of those, signed off by the hold-adjusted due date, the clock the
  service keeps (time on hold does not count; app.sla.clock).
- median_days_to_completion: the median of days from notification to sign-off, over those completed; None
  when nothing was completed. The median of an even count is the mean of the middle two.

Stages at a past date come from stage spans (app.reviews.models.StageSpan), so a review sent back from
sign-off, or on hold across the period's end, is counted in the stage it was really in that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    inspect,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reports.periods import Period
from app.reviews.models import StageSpan
from app.sla.clock import STANDARD_MONTHS, add_months

# Table columns, which type-check as SQL expressions (the model attributes type as Python values).
N: Any = inspect(Notification).local_table.c
S: Any = inspect(StageSpan).local_table.c

OPEN_GROUPS = {
    Stage.notified.value: "unallocated",
    Stage.on_hold.value: "on_hold",
    Stage.allocated.value: "in_progress",
    Stage.initial_review.value: "in_progress",
    Stage.focused_review.value: "in_progress",
    Stage.awaiting_sign_off.value: "awaiting_sign_off",
}


@dataclass
class ProgressCounts:
    """One area's (or the country's) figures for a period, as counted: nothing suppressed or rounded."""

    notified: int = 0
    open: int = 0
    unallocated: int = 0
    on_hold: int = 0
    in_progress: int = 0
    awaiting_sign_off: int = 0
    open_past_six_months: int = 0
    completed: int = 0
    completed_within_six_months: int = 0
    completed_within_six_months_hold_adjusted: int = 0
    median_days_to_completion: float | None = None


async def measure(
    session: AsyncSession, period: Period, areas: Sequence[str] | None
) -> tuple[dict[str, ProgressCounts], ProgressCounts]:
    """Figures per area, and for those areas together (whose median is over all their completions, not a
    median of the areas' medians). A few queries, each one pass over an index: nothing is loaded row by row."""
    counts: dict[str, ProgressCounts] = {}

    def area(ods: str) -> ProgressCounts:
        return counts.setdefault(ods, ProgressCounts())

    for ods, n in await _rows(session, _notified(period, areas)):
        area(ods).notified = n
    for ods, stage, n, past in await _rows(session, _open_at_end(period, areas)):
        figures = area(ods)
        group = OPEN_GROUPS[stage]
        setattr(figures, group, getattr(figures, group) + n)
        figures.open += n
        figures.open_past_six_months += past or 0
    overall_median = None
    for ods, n, within, adjusted, median in await _completions(session, period, areas):
        if ods is None:  # every selected area together
            overall_median = float(median) if median is not None else None
            continue
        figures = area(ods)
        figures.completed = n
        figures.completed_within_six_months = within or 0
        figures.completed_within_six_months_hold_adjusted = adjusted or 0
        figures.median_days_to_completion = float(median) if median is not None else None
    return counts, _total(list(counts.values()), overall_median)


def _total(figures: Sequence[ProgressCounts], median: float | None) -> ProgressCounts:
    summed = ProgressCounts(median_days_to_completion=median)
    for f in figures:
        for name in vars(summed):
            if name != "median_days_to_completion":
                setattr(summed, name, getattr(summed, name) + getattr(f, name))
    return summed


def notified_by_for_past_six_months(day: date) -> date:
    """The last notification date whose six months had run out by the end of `day`."""
    latest = add_months(day, -STANDARD_MONTHS)
    while add_months(latest, STANDARD_MONTHS) >= day:  # month ends clamp: step back to the first that has
        latest -= timedelta(days=1)
    while add_months(latest + timedelta(days=1), STANDARD_MONTHS) < day:
        latest += timedelta(days=1)
    return latest


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.exec(query)).all())


def _in_areas(column: Any, areas: Sequence[str] | None) -> ColumnElement[bool]:
    return column.in_(list(areas)) if areas is not None else literal_column("1") == 1


def _notified(period: Period, areas: Sequence[str] | None) -> Any:
    return (
        select(N.area_ods, func.count())
        .where(N.notified_on.between(period.starts_on, period.ends_on))
        .where(_in_areas(N.area_ods, areas))
        .group_by(N.area_ods)
    )


def _open_at_end(period: Period, areas: Sequence[str] | None) -> Any:
    day = period.ends_on
    past = case((S.notified_on <= notified_by_for_past_six_months(day), 1), else_=0)
    return (
        select(S.area_ods, S.stage, func.count(), func.sum(past))
        .where(S.started_on <= day, S.ended_on > day)
        .where(_in_areas(S.area_ods, areas))
        .group_by(S.area_ods, S.stage)
    )


def _completed_in(period: Period, areas: Sequence[str] | None) -> list[ColumnElement[bool]]:
    return [  # only signing off sets completed_on, and nothing reopens a completed review
        N.completed_on.between(period.starts_on, period.ends_on),
        _in_areas(N.area_ods, areas),
    ]


def _within_six_months_raw() -> ColumnElement[bool]:
    """completed_on <= add_months(notified_on, 6), without date arithmetic the two databases disagree on:
    fewer than six month boundaries between them, or exactly six and no later in the month (a later
    notification day than the month has is clamped to its end, which every completion day is before)."""
    done, told = N.completed_on, N.notified_on
    months = (extract("year", done) * 12 + extract("month", done)) - (
        extract("year", told) * 12 + extract("month", told)
    )
    return or_(months < STANDARD_MONTHS, and_(months == STANDARD_MONTHS, extract("day", done) <= extract("day", told)))


def _is_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _days_to_completion(session: AsyncSession) -> ColumnElement[Any]:
    done, told = N.completed_on, N.notified_on
    if _is_postgresql(session):
        return done - told  # type: ignore[no-any-return]  # date - date is a whole number of days
    return cast(func.julianday(done) - func.julianday(told), Integer)


async def _completions(session: AsyncSession, period: Period, areas: Sequence[str] | None) -> list[Any]:
    """Per area, and for every selected area together (area None): completed, within six months on each
    clock, and the median of days to completion, in one pass over the completed reviews.

    PostgreSQL has the median built in (percentile_cont, the mean of the middle two for an even count) and
    both groupings at once; SQLite has neither, so there the values are numbered in order and the middle one
    or two averaged. The test suite runs on both, so both answer the same."""
    days = _days_to_completion(session)
    within = func.sum(case((_within_six_months_raw(), 1), else_=0))
    adjusted = func.sum(case((N.sla_outcome == "met", 1), else_=0))
    completed = _completed_in(period, areas)
    if _is_postgresql(session):
        median = func.percentile_cont(0.5).within_group(days)
        query = select(N.area_ods, func.count(), within, adjusted, median).where(*completed)
        return await _rows(session, query.group_by(func.grouping_sets(N.area_ods, tuple_())))
    counts = await _rows(
        session, select(N.area_ods, func.count(), within, adjusted).where(*completed).group_by(N.area_ods)
    )
    medians = dict(await _rows(session, _median_by_numbering(days, completed, by_area=True)))
    overall = await _rows(session, _median_by_numbering(days, completed, by_area=False))
    return [(*row, medians.get(row[0])) for row in counts] + [(None, 0, 0, 0, overall[0][0] if overall else None)]


def _median_by_numbering(days: ColumnElement[Any], where: list[ColumnElement[bool]], *, by_area: bool) -> Any:
    partition = [N.area_ods] if by_area else []
    ranked = (
        select(
            N.area_ods.label("area_ods"),
            days.label("days"),
            func.row_number().over(partition_by=partition, order_by=days).label("position"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(*where)
        .subquery()
    )
    r = ranked.c
    median = func.avg(r.days * 1.0)
    middle = r.position.in_([(r.n + 1) // 2, (r.n + 2) // 2])
    if by_area:
        return select(r.area_ods, median).where(middle).group_by(r.area_ods)
    return select(median).where(middle)
