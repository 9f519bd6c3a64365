"""The six-month standard, as pure functions over UK dates.

Reviews should be complete within six calendar months of notification. Two clocks are kept:
- raw: notification to completion, whatever happened in between;
- hold-adjusted: time on hold does not count. The due date is the notification date plus six calendar
  months (clamped to month end: 31 August + 6 months = 28/29 February) plus the days on hold.

Only holds that begin on or before the due date stop the clock: a review that is already late does
not become on time by being put on hold. Overlapping holds count once. A hold from day S to day E
(exclusive) is E - S days; an open hold runs to "today".
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

STANDARD_MONTHS = 6


class SlaState(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    breached = "breached"
    met = "met"
    missed = "missed"


@dataclass(frozen=True)
class HoldPeriod:
    start: date
    end: date | None = None  # None: still on hold


@dataclass(frozen=True)
class Clock:
    """One clock's reading: when it is due, how much has been used and what is left."""

    due_on: date
    days_elapsed: int
    days_on_hold: int
    days_counted: int
    days_remaining: int  # negative once past due; for a finished review, what was left at completion
    state: SlaState
    paused: bool  # on a hold that stops the clock: days_remaining does not fall


@dataclass(frozen=True)
class Sla:
    notified_on: date
    completed_on: date | None
    hold_adjusted: Clock
    raw: Clock


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class _Span:
    start: date
    end: date
    open: bool  # includes a hold that has not ended


def merge_holds(holds: Iterable[HoldPeriod], since: date, until: date) -> list[_Span]:
    """Holds as disjoint [start, end) spans within [since, until], open ones ending at `until`."""
    spans = sorted((max(h.start, since), min(h.end or until, until), h.end is None) for h in holds)
    merged: list[_Span] = []
    for start, end, is_open in spans:
        if end < start or (end == start and not is_open):
            continue  # an open hold that began today stops the clock from today, with 0 days so far
        if merged and start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = _Span(last.start, max(last.end, end), last.open or is_open)
        else:
            merged.append(_Span(start, end, is_open))
    return merged


def _reading(
    notified_on: date,
    holds: Sequence[HoldPeriod],
    completed_on: date | None,
    today: date,
    at_risk_days: int,
) -> Clock:
    until = completed_on or today
    due = add_months(notified_on, STANDARD_MONTHS)
    on_hold = 0
    paused = False
    for span in merge_holds(holds, notified_on, until):
        if span.start > due:
            break  # already late when the hold began: it does not stop the clock
        days = (span.end - span.start).days
        due += timedelta(days=days)
        on_hold += days
        paused = span.open and completed_on is None
    elapsed = max((until - notified_on).days, 0)
    remaining = (due - until).days
    if completed_on is not None:
        state = SlaState.met if completed_on <= due else SlaState.missed
    elif today > due:
        state = SlaState.breached
    elif remaining <= at_risk_days:
        state = SlaState.at_risk
    else:
        state = SlaState.on_track
    return Clock(
        due_on=due,
        days_elapsed=elapsed,
        days_on_hold=on_hold,
        days_counted=elapsed - on_hold,
        days_remaining=remaining,
        state=state,
        paused=paused,
    )


def compute_sla(
    notified_on: date,
    holds: Sequence[HoldPeriod],
    completed_on: date | None,
    today: date,
    at_risk_days: int = 30,
) -> Sla:
    """Both clocks for one review, as of `today` (a UK date)."""
    return Sla(
        notified_on=notified_on,
        completed_on=completed_on,
        hold_adjusted=_reading(notified_on, holds, completed_on, today, at_risk_days),
        raw=_reading(notified_on, (), completed_on, today, at_risk_days),
    )
