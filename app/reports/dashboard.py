"""The quarterly dashboard: the progress measures (app.reports.progress) per area and for England, as a
coordinator sees their own area (as counted) or as published (disclosure-controlled, app.reports.disclosure)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.areas.models import Area
from app.core.spreadsheets import SafeCsvWriter
from app.reports import periods
from app.reports.disclosure import SUPPRESSED, Published, protect_table, publish_count, share
from app.reports.periods import Period
from app.reports.progress import ProgressCounts, measure
from app.reports.schemas import AreaProgress, Dashboard, Progress

# A median of fewer people than this could point at one of them; published medians need at least this many.
SMALLEST_PUBLISHED_MEDIAN = 8
ENGLAND = "England"


async def dashboard(
    session: AsyncSession,
    period: Period,
    areas: Sequence[Area],
    *,
    with_england: bool,
    controlled: bool,
    generated_at: datetime,
    overdue_actions: Mapping[str, int] | None = None,
) -> Dashboard:
    counted, whole = await measure(session, period, [a.ods_code for a in areas] if not with_england else None)
    by_area = {a.ods_code: counted.get(a.ods_code, ProgressCounts()) for a in areas}
    england = whole if with_england else None
    shown = _published(by_area, england) if controlled else {k: _as_counted(v) for k, v in by_area.items()}
    return Dashboard(
        period=period.label,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        generated_at=generated_at,
        to_date=periods.to_date(period, generated_at),
        disclosure_controlled=controlled,
        areas=[
            AreaProgress(
                area_ods=a.ods_code,
                area_name=a.name,
                overdue_actions=_overdue((overdue_actions or {}).get(a.ods_code, 0), controlled),
                **shown[a.ods_code].model_dump(),
            )
            for a in areas
        ],
        england=shown.get(ENGLAND) if controlled else (_as_counted(england) if england else None),
    )


def _overdue(n: int, controlled: bool) -> Published:
    return publish_count(n) if controlled else n


async def areas_for_report(session: AsyncSession, only: str | None) -> list[Area]:
    query = select(Area).order_by(col(Area.ods_code))
    if only is not None:
        query = query.where(col(Area.ods_code) == only)
    return list((await session.exec(query)).all())


def _as_counted(c: ProgressCounts) -> Progress:
    return _progress({name: getattr(c, name) for name in _COUNT_FIELDS}, c.median_days_to_completion)


_COUNT_FIELDS = (
    "notified",
    "open",
    "unallocated",
    "on_hold",
    "in_progress",
    "awaiting_sign_off",
    "open_past_six_months",
    "completed",
    "completed_within_six_months",
    "completed_within_six_months_hold_adjusted",
)


def _progress(shown: Mapping[str, Published], median: float | None) -> Progress:
    return Progress(
        **shown,
        unallocated_share=share(shown["unallocated"], shown["open"]),
        completed_within_six_months_share=share(shown["completed_within_six_months"], shown["completed"]),
        completed_within_six_months_hold_adjusted_share=share(
            shown["completed_within_six_months_hold_adjusted"], shown["completed"]
        ),
        median_days_to_completion=median,
    )


@dataclass(frozen=True)
class _Table:
    """Several figures that partition one total per area, e.g. open reviews by stage."""

    total: str
    parts: dict[str, str | None]  # published figure -> the count behind it (None: the rest of the total)


# Each table is published with its row totals (per area) and column totals (England). Tables that share a
# total (open, completed) must hide the same totals, or one would give away what the other hides.
_TABLES = (
    _Table("notified", {"notified": "notified"}),
    _Table(
        "open",
        {"unallocated": "unallocated", "on_hold": "on_hold", "in_progress": "in_progress", "awaiting_sign_off": None},
    ),
    _Table("open", {"open_past_six_months": "open_past_six_months", "not_past": None}),
    _Table("completed", {"completed_within_six_months": "completed_within_six_months", "not_within": None}),
    _Table(
        "completed",
        {"completed_within_six_months_hold_adjusted": "completed_within_six_months_hold_adjusted", "not_within": None},
    ),
)


def _published(by_area: Mapping[str, ProgressCounts], england: ProgressCounts | None) -> dict[str, Progress]:
    hidden_totals: dict[str, set[str]] = {t.total: set() for t in _TABLES}
    while True:  # until no table hides a total the others do not
        shown: dict[str, dict[str, Published]] = {area: {} for area in [*by_area, ENGLAND]}
        before = sum(len(h) for h in hidden_totals.values())
        for table in _TABLES:
            rows = {area: _cells(table, c) for area, c in by_area.items()}
            published = protect_table(rows, list(table.parts), hidden_row_totals=hidden_totals[table.total])
            for area in by_area:
                shown[area] |= {k: v for k, v in published.cells[area].items() if k in _COUNT_FIELDS}
                shown[area][table.total] = published.row_totals[area]
                if published.row_totals[area] == SUPPRESSED:
                    hidden_totals[table.total].add(area)
            shown[ENGLAND] |= {k: v for k, v in published.column_totals.items() if k in _COUNT_FIELDS}
            shown[ENGLAND][table.total] = published.total
        if sum(len(h) for h in hidden_totals.values()) == before:
            break
    result = {area: _progress(shown[area], _median(c)) for area, c in by_area.items()}
    if england is not None:
        result[ENGLAND] = _progress(shown[ENGLAND], _median(england))
    return result


def _cells(table: _Table, counts: ProgressCounts) -> dict[str, int]:
    named = {k: getattr(counts, field) for k, field in table.parts.items() if field is not None}
    rest = getattr(counts, table.total) - sum(named.values())
    return named | {k: rest for k, field in table.parts.items() if field is None}


def _median(c: ProgressCounts) -> float | None:
    return c.median_days_to_completion if c.completed >= SMALLEST_PUBLISHED_MEDIAN else None


def as_csv(report: Dashboard) -> str:
    """One row per area and one for England, ready to publish (the caller has applied disclosure control)."""
    fields = list(Progress.model_fields)
    out = io.StringIO()
    writer = SafeCsvWriter(out, lineterminator="\n")
    writer.writerow(
        ["period", "area_ods", "area_name", *fields, "overdue_actions", "starts_on", "counted_to", "generated_at"]
    )
    period = periods.Period(report.period, report.starts_on, report.ends_on)
    when = [report.starts_on.isoformat(), periods.counted_to(period, report.generated_at).isoformat()]
    when.append(report.generated_at.isoformat(timespec="seconds"))
    rows: list[tuple[str, str, Progress, Published]] = [
        (a.area_ods, a.area_name, a, a.overdue_actions) for a in report.areas
    ]
    if report.england is not None:
        rows.append(("", ENGLAND, report.england, ""))
    for ods, name, figures, overdue in rows:
        values = figures.model_dump()
        cells = ("" if values[f] is None else values[f] for f in fields)
        writer.writerow([report.period, ods, name, *cells, overdue, *when])
    return out.getvalue()
