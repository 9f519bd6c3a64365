"""Reporting periods: a calendar quarter ("2020-Q1") or a year, as inclusive UK date ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.core.clock import uk_date

QUARTER_PATTERN = r"^2\d{3}-Q[1-4]$"  # years 2000-2999: always a valid date
EARLIEST_YEAR = 2016  # LeDeR began taking notifications in 2016
LATEST_YEAR = 2100


@dataclass(frozen=True)
class Period:
    label: str
    starts_on: date
    ends_on: date  # inclusive: figures "at the period's end" are as at the end of this day


def quarter(label: str) -> Period:
    """'2020-Q1' is 1 January to 31 March 2020. The caller has checked QUARTER_PATTERN."""
    if not re.fullmatch(QUARTER_PATTERN, label):
        raise ValueError("a quarter is written like 2020-Q1")
    year, q = int(label[:4]), int(label[-1])
    starts_on = date(year, 3 * q - 2, 1)
    next_start = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return Period(label, starts_on, next_start - timedelta(days=1))


def year(value: int) -> Period:
    return Period(str(value), date(value, 1, 1), date(value, 12, 31))


def to_date(period: Period, generated_at: datetime) -> bool:
    """Figures counted before the period's last day was over run only to the day they were counted."""
    return uk_date(generated_at) <= period.ends_on


def counted_to(period: Period, generated_at: datetime) -> date:
    """The last day the figures cover: the period's end, or the day they were counted if that came first."""
    return min(period.ends_on, uk_date(generated_at))
