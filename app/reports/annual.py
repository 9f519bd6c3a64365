"""The figures of an area's annual report, as exact counts, each aggregated in the database.

Which records each figure counts:
- *deaths notified*: the area's notifications whose `notified_on` falls in the year, less those excluded
  (out of scope, or closed as duplicates). Everything about the people and their deaths (sex, age, place,
  cause, ethnicity, flags, family involvement) is counted over these.
- *reviews completed*: the area's reviews whose `completed_on` falls in the year (and that are still
  completed). Everything the reviews found (grade, themes, contributory factors, actions) is counted over
  these, from their findings.

Each query reads one area's year through an index and groups in SQL; Python only adds up the few grouped
rows. Nothing here hides small numbers: `app.reports.publishing` decides what a caller may see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, exists, func, inspect, select, true
from sqlmodel.ext.asyncio.session import AsyncSession

from app.families.models import FamilyInvitation, FamilyMessage
from app.families.schemas import MessageKind
from app.findings.models import FindingsRecord
from app.flags.models import BiasFlag
from app.notifications.enums import Stage
from app.notifications.models import Notification
from app.reports.models import AreaPopulation
from app.reports.periods import Period
from app.reports.sql import JsonSql, as_bool, as_int, medians

# Table columns, which type-check as SQL expressions (the model attributes type as Python values).
NOTIFICATION: Any = inspect(Notification).local_table
FINDINGS: Any = inspect(FindingsRecord).local_table
N: Any = NOTIFICATION.c
F: Any = FINDINGS.c
B: Any = inspect(BiasFlag).local_table.c
INV: Any = inspect(FamilyInvitation).local_table.c
M: Any = inspect(FamilyMessage).local_table.c
P: Any = inspect(AreaPopulation).local_table.c

UNDER_AGE = 65  # "died under 65": the programme's measure of premature death
TOP_CAUSES = 10
# The findings recorded as yes / no for each completed review: the themes the programme reports on.
THEMES: dict[str, tuple[str, ...]] = {
    "potentially_avoidable": ("potentially_avoidable",),
    "mental_capacity_act_applied": ("mental_capacity_act_applied",),
    "mccd_accurate": ("mccd_accurate",),
    "dnacpr_appropriate": ("dnacpr", "appropriate"),
    "dnacpr_correctly_completed": ("dnacpr", "correctly_completed"),
}


@dataclass(frozen=True)
class Median:
    value: float
    people: int


@dataclass(frozen=True)
class FlagCounts:
    standing: int  # deaths with a flag of this kind not dismissed (open, or looked at and upheld)
    dismissed: int  # deaths whose every flag of this kind a coordinator dismissed, with a reason


@dataclass
class AnnualFigures:
    # Of the notifications received in the year
    notifications_received: int = 0
    excluded: int = 0
    deaths_by_sex: Counter[str] = field(default_factory=Counter)
    deaths_by_place: Counter[str] = field(default_factory=Counter)
    deaths_by_ethnic_category: Counter[str] = field(default_factory=Counter)
    deaths_under_65: int = 0
    median_age: dict[str, Median] = field(default_factory=dict)  # by sex, and "all"
    underlying_causes: list[tuple[str, int]] = field(default_factory=list)  # most often recorded first
    flags: dict[str, FlagCounts] = field(default_factory=dict)
    families_invited: int = 0
    families_raised_concerns: int = 0
    focused_reviews_requested_by_families: int = 0
    # Of the reviews completed in the year
    reviews_completed: int = 0
    grades: Counter[int | None] = field(default_factory=Counter)
    themes: dict[str, Counter[bool | None]] = field(default_factory=dict)
    reviews_with_contributory_factors: int = 0
    contributory_factors: Counter[str] = field(default_factory=Counter)
    actions_by_status: Counter[str] = field(default_factory=Counter)
    # Reference data
    population: dict[str, int] = field(default_factory=dict)  # by ethnic category
    population_loaded_at: datetime | None = None

    @property
    def deaths_notified(self) -> int:
        return self.notifications_received - self.excluded


async def annual_figures(session: AsyncSession, ods: str, period: Period, *, cause_min_count: int = 1) -> AnnualFigures:
    """Every exact figure of the area's report for the period. Causes recorded fewer than `cause_min_count`
    times are not named (their deaths are still counted in the total)."""
    connection = await session.connection()
    json = JsonSql(connection.dialect.name)
    figures = AnnualFigures()
    notified = [
        N.area_ods == ods,
        N.notified_on >= period.starts_on,
        N.notified_on <= period.ends_on,
    ]
    in_scope = [*notified, N.stage != Stage.excluded.value]
    completed = [
        N.area_ods == ods,
        N.stage == Stage.completed.value,
        N.completed_on >= period.starts_on,
        N.completed_on <= period.ends_on,
    ]
    await _people(session, figures, notified)
    await _ages(session, figures, in_scope)
    figures.underlying_causes = await _underlying_causes(session, json, in_scope, cause_min_count)
    figures.flags = await _flags(session, in_scope)
    await _families(session, figures, in_scope)
    await _findings(session, json, figures, completed)
    figures.contributory_factors = await _contributory_factors(session, json, completed)
    figures.actions_by_status = await _actions(session, json, completed)
    await _population(session, figures, ods)
    return figures


async def _people(session: AsyncSession, figures: AnnualFigures, notified: list[ColumnElement[bool]]) -> None:
    """One pass over the year's notifications, grouped by every way the report breaks the deaths down."""
    excluded = N.stage == Stage.excluded.value
    under = N.age_at_death < UNDER_AGE
    query = (
        select(
            excluded,
            N.sex,
            N.place_of_death,
            N.ethnic_category,
            under,
            N.focused_review_requested_by_family,
            func.count(),
        )
        .where(*notified)
        .group_by(
            excluded,
            N.sex,
            N.place_of_death,
            N.ethnic_category,
            under,
            N.focused_review_requested_by_family,
        )
    )
    for is_excluded, sex, place, ethnic, is_under, family_asked, n in await _rows(session, query):
        figures.notifications_received += n
        if is_excluded:
            figures.excluded += n
            continue
        figures.deaths_by_sex[sex] += n
        figures.deaths_by_place[place] += n
        figures.deaths_by_ethnic_category[ethnic] += n
        figures.deaths_under_65 += n if is_under else 0
        figures.focused_reviews_requested_by_families += n if family_asked else 0


async def _ages(session: AsyncSession, figures: AnnualFigures, in_scope: list[ColumnElement[bool]]) -> None:
    age = N.age_at_death
    for group in (N.sex, None):
        for name, value, people in await _rows(session, medians(age, group, *in_scope)):
            figures.median_age[str(name)] = Median(float(value), int(people))


async def _underlying_causes(
    session: AsyncSession, json: JsonSql, in_scope: list[ColumnElement[bool]], min_count: int
) -> list[tuple[str, int]]:
    """The underlying cause is the last line of MCCD Part I; causes are compared as written, ignoring case
    and surrounding spaces."""
    cause = func.lower(func.trim(json.value(N.cause_of_death, "part_1", -1, "text")))
    n = func.count()
    query = (
        select(cause, n)
        .where(*in_scope)
        .group_by(cause)
        .having(n >= min_count)
        .order_by(n.desc(), cause)
        .limit(TOP_CAUSES)
    )
    return [(str(text), int(count)) for text, count in await _rows(session, query) if text]


async def _flags(session: AsyncSession, in_scope: list[ColumnElement[bool]]) -> dict[str, FlagCounts]:
    """Deaths with a flag of each kind, withdrawn flags (whose evidence was corrected away) left out."""
    standing = func.max(case((B.dismissed_at.is_(None), 1), else_=0))
    per_death = (
        select(B.kind.label("kind"), standing.label("standing"))
        .join(NOTIFICATION, N.id == B.notification_id)
        .where(*in_scope, B.withdrawn_at.is_(None))
        .group_by(B.notification_id, B.kind)
        .subquery("per_death")
    )
    query = select(per_death.c.kind, per_death.c.standing, func.count()).group_by(
        per_death.c.kind, per_death.c.standing
    )
    counts: dict[str, dict[bool, int]] = {}
    for kind, is_standing, n in await _rows(session, query):
        counts.setdefault(kind, {})[bool(is_standing)] = int(n)
    return {kind: FlagCounts(c.get(True, 0), c.get(False, 0)) for kind, c in counts.items()}


async def _families(session: AsyncSession, figures: AnnualFigures, in_scope: list[ColumnElement[bool]]) -> None:
    invited = exists().where(INV.notification_id == N.id)
    concern = exists().where(M.notification_id == N.id, M.kind == MessageKind.concern.value)
    query = select(
        func.count(distinct(case((invited, N.id)))),
        func.count(distinct(case((concern, N.id)))),
    ).where(*in_scope)
    [row] = await _rows(session, query)
    figures.families_invited, figures.families_raised_concerns = int(row[0]), int(row[1])


async def _findings(
    session: AsyncSession, json: JsonSql, figures: AnnualFigures, completed: list[ColumnElement[bool]]
) -> None:
    """One pass over the year's completed reviews and their findings, grouped by grade and every theme."""
    data = F.data
    has_factor = func.coalesce(json.array_length(data, "contributory_factors"), 0) > 0
    columns: list[ColumnElement[Any]] = [
        json.value(data, "grade"),
        has_factor,
        *(json.value(data, *path) for path in THEMES.values()),
    ]
    query = (
        select(*columns, func.count())
        .select_from(NOTIFICATION)
        .outerjoin(FINDINGS, F.notification_id == N.id)
        .where(*completed)
        .group_by(*columns)
    )
    figures.themes = {theme: Counter() for theme in THEMES}
    for grade, with_factor, *answers, n in await _rows(session, query):
        figures.reviews_completed += n
        figures.grades[as_int(grade)] += n
        figures.reviews_with_contributory_factors += n if with_factor else 0
        for theme, answer in zip(THEMES, answers, strict=True):
            figures.themes[theme][as_bool(answer)] += n


async def _contributory_factors(
    session: AsyncSession, json: JsonSql, completed: list[ColumnElement[bool]]
) -> Counter[str]:
    factors = json.elements(F.data, "contributory_factors", "factor")
    factor = json.element_text(factors)
    query = (
        select(factor, func.count(distinct(N.id)))
        .select_from(NOTIFICATION)
        .join(FINDINGS, F.notification_id == N.id)
        .join(factors, true())
        .where(*completed)
        .group_by(factor)
    )
    return Counter({str(name): int(n) for name, n in await _rows(session, query)})


async def _actions(session: AsyncSession, json: JsonSql, completed: list[ColumnElement[bool]]) -> Counter[str]:
    actions = json.elements(F.data, "actions", "action")
    status = json.element_value(actions, "status")
    query = (
        select(status, func.count())
        .select_from(NOTIFICATION)
        .join(FINDINGS, F.notification_id == N.id)
        .join(actions, true())
        .where(*completed)
        .group_by(status)
    )
    return Counter({str(name): int(n) for name, n in await _rows(session, query)})


async def _population(session: AsyncSession, figures: AnnualFigures, ods: str) -> None:
    query = select(P.ethnic_category, P.people, P.loaded_at).where(P.area_ods == ods)
    for category, people, loaded_at in await _rows(session, query):
        figures.population[category] = people
        figures.population_loaded_at = loaded_at


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.exec(query)).all())
