"""Reporting periods and the six-month boundary the dashboard counts with."""

from __future__ import annotations

from datetime import date

import pytest

from app.reports.periods import quarter, year
from app.reports.progress import notified_by_for_past_six_months
from app.sla.clock import add_months


@pytest.mark.parametrize(
    ("label", "starts_on", "ends_on"),
    [
        ("2020-Q1", date(2020, 1, 1), date(2020, 3, 31)),
        ("2020-Q2", date(2020, 4, 1), date(2020, 6, 30)),
        ("2020-Q3", date(2020, 7, 1), date(2020, 9, 30)),
        ("2020-Q4", date(2020, 10, 1), date(2020, 12, 31)),
    ],
)
def test_quarters(label, starts_on, ends_on):
    assert (quarter(label).starts_on, quarter(label).ends_on) == (starts_on, ends_on)


def test_a_year_and_a_malformed_quarter():
    assert (year(2019).starts_on, year(2019).ends_on) == (date(2019, 1, 1), date(2019, 12, 31))
    with pytest.raises(ValueError, match="2020-Q1"):
        quarter("2020-Q5")


@pytest.mark.parametrize(
    ("day", "latest"),
    [
        (date(2025, 7, 11), date(2025, 1, 10)),  # due 10 July: past by the end of the 11th
        (date(2025, 7, 10), date(2025, 1, 9)),  # due that very day: not yet past
        (date(2025, 8, 31), date(2025, 2, 28)),  # 28 Feb + 6 months = 28 Aug; 1 March is due 1 September
        (date(2025, 3, 1), date(2024, 8, 31)),  # 31 August + 6 months = 28 February (clamped)
        (date(2024, 3, 1), date(2023, 8, 31)),  # leap year: 31 August + 6 months = 29 February
    ],
)
def test_the_last_notification_date_past_six_months_by_a_day(day, latest):
    assert notified_by_for_past_six_months(day) == latest
    assert add_months(latest, 6) < day <= add_months(date.fromordinal(latest.toordinal() + 1), 6)
