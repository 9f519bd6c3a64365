"""The edges of every comparison in the domain rules: the day before, the day of, the day after.

Each test here fails if one `<` in the rule it names becomes `<=` (or the other way), or a bound moves by one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.notifications.enums import ClosureReason, LearningDisabilityLevel, ReviewRoute, Stage
from app.notifications.rules import age_band, age_in_years, assess_scope
from app.sla.clock import HoldPeriod, SlaState, compute_sla

NOTIFIED = date(2025, 1, 10)
DUE = date(2025, 7, 10)  # six calendar months later


# The six-month clock (app/sla/clock.py)


@pytest.mark.parametrize(
    ("hold_starts", "stops_the_clock"),
    [(DUE - timedelta(days=1), True), (DUE, True), (DUE + timedelta(days=1), False)],
)
def test_a_hold_stops_the_clock_if_it_starts_on_or_before_the_due_date(hold_starts, stops_the_clock):
    hold = HoldPeriod(hold_starts, hold_starts + timedelta(days=10))
    clock = compute_sla(NOTIFIED, [hold], None, DUE + timedelta(days=20)).hold_adjusted
    assert clock.due_on == (DUE + timedelta(days=10) if stops_the_clock else DUE)
    assert clock.days_on_hold == (10 if stops_the_clock else 0)


def test_a_hold_ending_the_day_another_starts_counts_as_one_unbroken_hold():
    first = HoldPeriod(date(2025, 2, 1), date(2025, 2, 11))
    second = HoldPeriod(date(2025, 2, 11), None)  # still open
    clock = compute_sla(NOTIFIED, [first, second], None, date(2025, 2, 21)).hold_adjusted
    assert clock.days_on_hold == 20
    assert clock.paused
    assert clock.due_on == DUE + timedelta(days=20)


def test_a_closed_hold_after_an_open_one_ends_leaves_the_clock_running():
    earlier_open = HoldPeriod(date(2025, 2, 1), date(2025, 2, 5))
    later = HoldPeriod(date(2025, 3, 1), date(2025, 3, 4))
    clock = compute_sla(NOTIFIED, [later, earlier_open], None, date(2025, 3, 10)).hold_adjusted
    assert (clock.days_on_hold, clock.paused) == (7, False)


def test_a_hold_that_began_and_ended_on_the_same_day_counts_nothing():
    same_day = HoldPeriod(date(2025, 2, 1), date(2025, 2, 1))
    clock = compute_sla(NOTIFIED, [same_day], None, date(2025, 3, 1)).hold_adjusted
    assert (clock.days_on_hold, clock.paused, clock.due_on) == (0, False, DUE)


def test_an_open_hold_begun_today_pauses_with_no_days_yet():
    today = date(2025, 3, 1)
    clock = compute_sla(NOTIFIED, [HoldPeriod(today)], None, today).hold_adjusted
    assert (clock.days_on_hold, clock.paused, clock.due_on) == (0, True, DUE)


def test_a_completed_review_is_never_paused():
    clock = compute_sla(NOTIFIED, [HoldPeriod(date(2025, 3, 1))], date(2025, 3, 5), date(2025, 3, 9)).hold_adjusted
    assert (clock.paused, clock.days_on_hold, clock.state) == (False, 4, SlaState.met)


@pytest.mark.parametrize(
    ("today", "state", "remaining"),
    [
        (DUE - timedelta(days=31), SlaState.on_track, 31),
        (DUE - timedelta(days=30), SlaState.at_risk, 30),  # the threshold itself is at risk
        (DUE, SlaState.at_risk, 0),  # due today: not yet breached
        (DUE + timedelta(days=1), SlaState.breached, -1),
    ],
)
def test_states_at_the_edges_of_the_threshold_and_the_due_date(today, state, remaining):
    clock = compute_sla(NOTIFIED, [], None, today).hold_adjusted
    assert (clock.state, clock.days_remaining) == (state, remaining)


def test_elapsed_days_never_go_negative_before_notification():
    clock = compute_sla(NOTIFIED, [], None, NOTIFIED - timedelta(days=3)).raw
    assert clock.days_elapsed == 0


# Age and scope (app/notifications/rules.py)


@pytest.mark.parametrize(
    ("died", "age"),
    [(date(2025, 6, 14), 17), (date(2025, 6, 15), 18), (date(2025, 6, 16), 18)],
)
def test_a_birthday_counts_on_the_day(died, age):
    assert age_in_years(date(2007, 6, 15), died) == age


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0-3"),
        (3, "0-3"),
        (4, "4-17"),
        (17, "4-17"),
        (18, "18-24"),
        (24, "18-24"),
        (25, "25-34"),
        (34, "25-34"),
        (35, "35-44"),
        (44, "35-44"),
        (45, "45-54"),
        (54, "45-54"),
        (55, "55-64"),
        (64, "55-64"),
        (65, "65-74"),
        (74, "65-74"),
        (75, "75+"),
        (103, "75+"),
    ],
)
def test_age_bands_at_both_edges(age, band):
    assert age_band(age) == band


def _scope(age: int, *, ld: bool = True, autism: bool = False):
    return assess_scope(
        age_at_death=age,
        learning_disability=LearningDisabilityLevel.mild if ld else LearningDisabilityLevel.none,
        autism=autism,
        died_in_england=True,
        national_data_opt_out=False,
    )


@pytest.mark.parametrize(
    ("age", "route", "stage", "reason"),
    [
        (3, ReviewRoute.child_death_review, Stage.excluded, ClosureReason.under_4),
        (4, ReviewRoute.child_death_review, Stage.notified, None),
        (17, ReviewRoute.child_death_review, Stage.notified, None),
        (18, ReviewRoute.leder, Stage.notified, None),
    ],
)
def test_the_age_edges_of_scope_with_a_learning_disability(age, route, stage, reason):
    decision = _scope(age)
    assert (decision.route, decision.stage, decision.closure_reason) == (route, stage, reason)


@pytest.mark.parametrize(
    ("age", "stage", "reason"),
    [
        (17, Stage.excluded, ClosureReason.autistic_child_without_learning_disability),
        (18, Stage.notified, None),  # an autistic adult is in scope from their 18th birthday
    ],
)
def test_autism_without_a_learning_disability_is_in_scope_from_18(age, stage, reason):
    decision = _scope(age, ld=False, autism=True)
    assert (decision.stage, decision.closure_reason) == (stage, reason)


def test_the_reading_names_the_review_it_is_about():
    sla = compute_sla(NOTIFIED, [], date(2025, 3, 1), date(2025, 3, 9))
    assert (sla.notified_on, sla.completed_on) == (NOTIFIED, date(2025, 3, 1))
