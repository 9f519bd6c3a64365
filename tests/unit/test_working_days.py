from __future__ import annotations

from datetime import date

import pytest

from app.families.working_days import add_working_days, is_working_day


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2025, 3, 17), 10, date(2025, 3, 31)),  # Monday + 10 working days: two weeks on
        (date(2025, 3, 22), 1, date(2025, 3, 24)),  # raised on a Saturday: due Monday
        (date(2025, 4, 16), 2, date(2025, 4, 22)),  # over Good Friday and Easter Monday
        (date(2025, 12, 23), 3, date(2025, 12, 30)),  # over Christmas Day and Boxing Day
        (date(2025, 3, 17), 0, date(2025, 3, 17)),
    ],
)
def test_add_working_days(start, days, due):
    assert add_working_days(start, days) == due


def test_bank_holidays_are_not_working_days():
    assert not is_working_day(date(2025, 8, 25))  # late summer bank holiday (England)
    assert is_working_day(date(2025, 8, 4))  # Scotland's summer holiday is not England's
