"""The six-month clock: calendar arithmetic, holds, states, and its invariants."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sla.clock import HoldPeriod, SlaState, add_months, compute_sla


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2019, 8, 31), date(2020, 2, 29)),  # into a leap February
        (date(2018, 8, 31), date(2019, 2, 28)),  # into an ordinary February
        (date(2020, 2, 29), date(2020, 8, 29)),
        (date(2019, 12, 31), date(2020, 6, 30)),
        (date(2020, 1, 15), date(2020, 7, 15)),
        (date(2019, 7, 31), date(2020, 1, 31)),  # across the year end
    ],
)
def test_six_calendar_months_clamp_to_month_end(start, due):
    assert add_months(start, 6) == due
    sla = compute_sla(start, [], None, start)
    assert sla.hold_adjusted.due_on == sla.raw.due_on == due


def test_a_fresh_review_is_on_track_with_the_whole_period_left():
    sla = compute_sla(date(2020, 1, 15), [], None, date(2020, 1, 15))
    clock = sla.hold_adjusted
    assert (clock.days_elapsed, clock.days_on_hold, clock.days_remaining) == (0, 0, 182)
    assert clock.state is SlaState.on_track


@pytest.mark.parametrize(
    ("today", "state", "remaining"),
    [
        (date(2020, 6, 14), SlaState.on_track, 31),
        (date(2020, 6, 15), SlaState.at_risk, 30),
        (date(2020, 7, 15), SlaState.at_risk, 0),  # due today: not yet late
        (date(2020, 7, 16), SlaState.breached, -1),
    ],
)
def test_open_review_states_by_days_left(today, state, remaining):
    clock = compute_sla(date(2020, 1, 15), [], None, today).hold_adjusted
    assert (clock.state, clock.days_remaining) == (state, remaining)


def test_the_at_risk_threshold_is_configurable():
    clock = compute_sla(date(2020, 1, 15), [], None, date(2020, 6, 14), at_risk_days=45).hold_adjusted
    assert clock.state is SlaState.at_risk


def test_completion_on_the_due_date_is_met_and_the_day_after_missed():
    met = compute_sla(date(2019, 8, 31), [], date(2020, 2, 29), date(2020, 3, 5))
    missed = compute_sla(date(2019, 8, 31), [], date(2020, 3, 1), date(2020, 3, 5))
    assert met.hold_adjusted.state is met.raw.state is SlaState.met
    assert missed.hold_adjusted.state is missed.raw.state is SlaState.missed
    assert met.hold_adjusted.days_remaining == 0 and missed.hold_adjusted.days_remaining == -1


def test_a_closed_hold_moves_the_due_date_by_its_days():
    holds = [HoldPeriod(date(2020, 2, 1), date(2020, 3, 2))]  # 30 days (2020 is a leap year)
    sla = compute_sla(date(2020, 1, 15), holds, None, date(2020, 4, 1))
    assert sla.hold_adjusted.days_on_hold == 30
    assert sla.hold_adjusted.due_on == date(2020, 8, 14)
    assert sla.raw.due_on == date(2020, 7, 15)
    assert sla.raw.days_on_hold == 0
    assert sla.hold_adjusted.days_elapsed == 77 == sla.hold_adjusted.days_on_hold + sla.hold_adjusted.days_counted


def test_several_and_overlapping_holds_count_each_day_once():
    holds = [
        HoldPeriod(date(2020, 2, 1), date(2020, 2, 11)),  # 10 days
        HoldPeriod(date(2020, 2, 6), date(2020, 2, 16)),  # overlaps: 5 more
        HoldPeriod(date(2020, 3, 1), date(2020, 3, 3)),  # 2 more
    ]
    clock = compute_sla(date(2020, 1, 15), holds, None, date(2020, 4, 1)).hold_adjusted
    assert clock.days_on_hold == 17
    assert clock.due_on == date(2020, 7, 15) + timedelta(days=17)


def test_an_open_hold_stops_the_clock_until_today():
    holds = [HoldPeriod(date(2020, 3, 1))]
    day_one = compute_sla(date(2020, 1, 15), holds, None, date(2020, 3, 1)).hold_adjusted
    later = compute_sla(date(2020, 1, 15), holds, None, date(2020, 5, 1)).hold_adjusted
    assert day_one.paused and later.paused
    assert later.days_on_hold == 61
    assert later.days_remaining == day_one.days_remaining  # the days left do not fall while paused
    assert later.due_on == day_one.due_on + timedelta(days=61)


def test_a_hold_overlapping_the_due_date_extends_it_by_all_its_days():
    holds = [HoldPeriod(date(2020, 7, 1), date(2020, 8, 10))]  # 40 days, straddling 15 July
    clock = compute_sla(date(2020, 1, 15), holds, None, date(2020, 8, 20)).hold_adjusted
    assert clock.due_on == date(2020, 8, 24)
    assert clock.state is SlaState.at_risk


def test_a_hold_begun_after_the_due_date_does_not_rescue_a_late_review():
    holds = [HoldPeriod(date(2020, 8, 1))]
    sla = compute_sla(date(2020, 1, 15), holds, None, date(2020, 9, 1))
    assert sla.hold_adjusted.state is SlaState.breached
    assert sla.hold_adjusted.days_on_hold == 0
    assert not sla.hold_adjusted.paused


def test_a_notification_recorded_late_counts_from_its_notification_date():
    # Told of the death on 2 March, entered on 20 March: the clock started on 2 March.
    clock = compute_sla(date(2020, 3, 2), [], None, date(2020, 3, 20)).hold_adjusted
    assert clock.days_elapsed == 18
    assert clock.due_on == date(2020, 9, 2)


def test_completion_freezes_both_clocks():
    holds = [HoldPeriod(date(2020, 2, 1), date(2020, 2, 11))]
    sla = compute_sla(date(2020, 1, 15), holds, date(2020, 7, 20), date(2021, 1, 1))
    assert sla.raw.state is SlaState.missed  # 5 days over on the raw clock
    assert sla.hold_adjusted.state is SlaState.met  # 10 days of hold make it on time
    assert sla.hold_adjusted.days_elapsed == 187
    assert not sla.hold_adjusted.paused


dates = st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def reviews(draw):
    notified = draw(dates)
    today = notified + timedelta(days=draw(st.integers(0, 700)))
    holds = []
    for _ in range(draw(st.integers(0, 4))):
        start = notified + timedelta(days=draw(st.integers(0, max((today - notified).days, 0))))
        length = draw(st.one_of(st.none(), st.integers(0, 200)))
        holds.append(HoldPeriod(start, None if length is None else start + timedelta(days=length)))
    return notified, holds, today


@given(reviews(), st.integers(0, 200), st.integers(0, 200))
def test_adding_a_hold_never_moves_the_due_date_earlier(review, offset, length):
    notified, holds, today = review
    start = notified + timedelta(days=offset)
    extra = HoldPeriod(start, start + timedelta(days=length))
    before = compute_sla(notified, holds, None, today).hold_adjusted.due_on
    after = compute_sla(notified, [*holds, extra], None, today).hold_adjusted.due_on
    assert after >= before


@given(reviews(), st.booleans())
def test_elapsed_days_are_held_days_plus_counted_days(review, completed):
    notified, holds, today = review
    sla = compute_sla(notified, holds, today if completed else None, today)
    for clock in (sla.hold_adjusted, sla.raw):
        assert clock.days_elapsed == clock.days_on_hold + clock.days_counted
        assert clock.days_counted >= 0


@given(reviews())
def test_a_review_completed_by_its_due_date_is_met(review):
    notified, holds, today = review
    closed = [HoldPeriod(h.start, h.end or today) for h in holds]
    due = compute_sla(notified, closed, None, today).hold_adjusted.due_on
    completed_on = min(today, due)
    sla = compute_sla(notified, closed, completed_on, today)
    assert sla.hold_adjusted.state is SlaState.met


def _walk_days(notified: date, holds: list[HoldPeriod], until: date) -> tuple[int, int]:
    """A day-by-day model of the rule, written independently of compute_sla: each day is on hold if some
    hold covers it and that hold began on or before the due date as it stood; held days push the due
    date back one day each."""
    due = add_months(notified, 6)
    held = counted = 0
    day = notified
    while day < until:
        covering = [h for h in holds if h.start <= day < (h.end or until)]
        if covering and min(h.start for h in covering) <= due:
            held += 1
            due += timedelta(days=1)
        else:
            counted += 1
        day += timedelta(days=1)
    return held, counted


@given(reviews())
def test_counted_days_match_a_day_by_day_walk(review):
    notified, holds, today = review
    clock = compute_sla(notified, holds, None, today).hold_adjusted
    assert (clock.days_on_hold, clock.days_counted) == _walk_days(notified, holds, today)


# Backdated holds: entered days after the other process began, they count from the day it began.


def test_a_backdated_hold_entered_after_the_due_date_but_begun_before_it_stops_the_clock():
    notified = date(2025, 1, 10)  # due 10 July
    today = date(2025, 7, 20)  # entered on 20 July, though the inquest opened on 1 July
    sla = compute_sla(notified, [HoldPeriod(date(2025, 7, 1))], None, today)
    assert sla.hold_adjusted.days_on_hold == 19
    assert sla.hold_adjusted.due_on == date(2025, 7, 29)
    assert sla.hold_adjusted.paused is True and sla.hold_adjusted.state is not SlaState.breached
    assert sla.raw.state is SlaState.breached  # the raw clock ignores holds


def test_a_backdated_end_gives_back_the_days_after_it():
    notified = date(2025, 1, 10)
    held = [HoldPeriod(date(2025, 3, 1), date(2025, 3, 11))]  # ended (backdated) on 11 March, entered later
    sla = compute_sla(notified, held, None, date(2025, 4, 1))
    assert sla.hold_adjusted.days_on_hold == 10 and sla.hold_adjusted.paused is False
    assert sla.hold_adjusted.due_on == date(2025, 7, 20)


def test_a_backdated_hold_inside_an_earlier_one_adds_only_the_days_it_extends():
    notified = date(2025, 3, 17)
    earlier = HoldPeriod(date(2025, 3, 20), date(2025, 4, 1))
    backdated = HoldPeriod(date(2025, 3, 25), date(2025, 4, 10))
    sla = compute_sla(notified, [earlier, backdated], None, date(2025, 5, 1))
    assert sla.hold_adjusted.days_on_hold == 21  # 20 March to 10 April, each day once
    inside = HoldPeriod(date(2025, 3, 22), date(2025, 3, 30))  # wholly within the earlier hold: adds nothing
    assert compute_sla(notified, [earlier, inside], None, date(2025, 5, 1)).hold_adjusted.days_on_hold == 12


def test_a_hold_backdated_to_the_notification_day_counts_from_it():
    notified = date(2025, 3, 17)
    sla = compute_sla(notified, [HoldPeriod(notified, date(2025, 3, 27))], None, date(2025, 4, 1))
    assert sla.hold_adjusted.days_on_hold == 10
    assert sla.hold_adjusted.days_counted == sla.hold_adjusted.days_elapsed - 10


def test_a_hold_ended_the_day_it_began_counts_nothing_and_later_holds_still_count():
    # Started and ended on 1 February: no day on hold. The 10-day hold after it moves the due date by 10.
    holds = [HoldPeriod(date(2020, 2, 1), date(2020, 2, 1)), HoldPeriod(date(2020, 3, 1), date(2020, 3, 11))]
    sla = compute_sla(date(2020, 1, 15), holds, None, date(2020, 4, 1))
    assert sla.hold_adjusted.days_on_hold == 10
    assert sla.hold_adjusted.due_on == date(2020, 7, 25)
