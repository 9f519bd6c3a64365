"""The ethnic representativeness arithmetic, against published values."""

from __future__ import annotations

import pytest

from app.reports.representation import METHOD, compare, wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe RG (1998), Two-sided confidence intervals for the single proportion, Stat Med 17:857-872,
        # table I, method 3 (Wilson score interval without continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Symmetric about a half, and the edges exactly 0 and 1.
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes, trials, low, high):
    interval = wilson_interval(successes, trials)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


def test_wilson_interval_at_zero_is_z_squared_over_n_plus_z_squared():
    z2 = 1.959963984540054**2
    assert wilson_interval(0, 20).high == pytest.approx(z2 / (20 + z2), abs=1e-15)
    assert wilson_interval(0, 20).low == 0.0


@pytest.mark.parametrize(("successes", "trials"), [(-1, 10), (11, 10), (0, 0)])
def test_wilson_interval_refuses_impossible_counts(successes, trials):
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(successes, trials)


def test_a_group_notified_in_proportion_has_ratio_1_and_an_interval_around_it():
    # 20 of 100 deaths, 20% of the population; Wilson for 20/100 is (0.1334, 0.2888).
    result = compare(observed=20, deaths=100, population=2000, population_total=10000)
    assert result.expected == pytest.approx(20.0)
    assert result.ratio == pytest.approx(1.0)
    assert result.interval is not None
    assert (round(result.interval.low, 3), round(result.interval.high, 3)) == (0.667, 1.444)
    assert not result.under_represented and not result.over_represented


def test_a_group_notified_far_less_than_its_share_is_called_out():
    # 14% of the population, 4 of 100 deaths (the programme's 2018 figures were 10% against 14%).
    result = compare(observed=4, deaths=100, population=1400, population_total=10000)
    assert result.expected == pytest.approx(14.0)
    assert result.ratio == pytest.approx(4 / 14)
    assert result.interval is not None
    # Wilson for 4/100 is (0.0157, 0.0984); divided by the population share 0.14.
    assert (round(result.interval.low, 3), round(result.interval.high, 3)) == (0.112, 0.703)
    assert result.under_represented and not result.over_represented


def test_small_numbers_are_not_significant():
    # 10% against 14%, from only 100 deaths: not enough to say.
    result = compare(observed=10, deaths=100, population=1400, population_total=10000)
    assert result.interval is not None and result.interval.low < 1 < result.interval.high
    assert not result.under_represented


def test_a_group_over_represented():
    result = compare(observed=7, deaths=9, population=180, population_total=900)
    assert result.interval is not None
    assert (round(result.ratio or 0, 2), round(result.interval.low, 2), round(result.interval.high, 2)) == (
        3.89,
        2.26,
        4.68,
    )
    assert result.over_represented


def test_nothing_to_compare_without_a_population_or_deaths():
    assert compare(observed=0, deaths=10, population=0, population_total=100).ratio is None
    no_deaths = compare(observed=0, deaths=0, population=10, population_total=100)
    assert no_deaths.ratio is None and no_deaths.interval is None and no_deaths.expected == 0
    assert not no_deaths.under_represented


@pytest.mark.parametrize(
    ("observed", "deaths", "population", "total"), [(1, 0, 1, 1), (0, 1, 2, 1), (0, 1, 0, 0), (-1, 1, 1, 1)]
)
def test_impossible_comparisons_are_refused(observed, deaths, population, total):
    with pytest.raises(ValueError, match="need"):
        compare(observed, deaths, population, total)


def test_the_method_is_named():
    assert METHOD.startswith("Wilson score interval (95%)")
