"""Disclosure control: the published figures, and brute-force attempts to recover a suppressed cell."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.disclosure import SUPPRESSED, Protected, protect, publish_count, share


@pytest.mark.parametrize(
    ("count", "published"),
    [(0, 0), (1, "*"), (5, "*"), (7, "*"), (8, 10), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (1234, 1235)],
)
def test_single_counts(count, published):
    assert publish_count(count) == published


def test_a_negative_count_is_a_programming_error():
    with pytest.raises(ValueError, match="negative"):
        publish_count(-1)


def test_one_small_cell_among_big_ones_takes_a_second_with_it():
    published = protect({"hospital": 40, "home": 3, "care_home": 20, "hospice": 12})
    assert published.cells == {"hospital": 40, "home": "*", "care_home": 20, "hospice": "*"}  # the next smallest
    assert published.total == 75


def test_two_small_cells_need_nothing_more():
    published = protect({"a": 3, "b": 2, "c": 40, "d": 41})
    assert [published.cells[k] for k in "abcd"] == ["*", "*", 40, 40]


def test_one_small_cell_and_only_zeros_hides_the_total():
    published = protect({"a": 3, "b": 0, "c": 0})
    assert published.cells == {"a": "*", "b": 0, "c": 0}
    assert published.total == SUPPRESSED


def test_all_zero_stays_zero():
    assert protect({"a": 0, "b": 0}).cells == {"a": 0, "b": 0}
    assert protect({"a": 0, "b": 0}).total == 0


def test_shares_come_from_the_published_figures():
    assert share(10, 40) == 25.0
    assert share(SUPPRESSED, 40) is None
    assert share(10, SUPPRESSED) is None
    assert share(0, 0) is None
    assert share(1, 3) == 33.3


def _candidates(shown, upper):
    """Every true value a reader could believe behind one published cell. A `*` may be a small count
    or a bigger one hidden to protect it: anything from 1 to what the total allows."""
    if shown == SUPPRESSED:
        return range(1, upper + 1)
    if shown == 0:
        return range(0, 1)
    return [n for n in range(max(shown - 2, 8), shown + 3) if publish_count(n) == shown]


def _consistent_tables(published, true_total):
    keys = list(published.cells)
    # A published total is within 2 of the truth. Behind a suppressed one, the attacker is given the
    # true total as a bound: more than a reader knows, so a cell safe here is safe.
    upper = max(true_total, 7) if published.total == SUPPRESSED else published.total + 2
    for values in itertools.product(*(_candidates(published.cells[k], upper) for k in keys)):
        total = sum(values)
        if published.total == SUPPRESSED or publish_count(total) == published.total:
            yield dict(zip(keys, values, strict=True))


def assert_no_suppressed_cell_is_recoverable(cells):
    published = protect(cells)
    tables = list(_consistent_tables(published, sum(cells.values())))
    assert dict(cells) in tables  # the truth is among what a reader may believe
    for key, shown in published.cells.items():
        if shown == SUPPRESSED:
            assert len({table[key] for table in tables}) >= 2, f"{key} recoverable from {published}"


@pytest.mark.parametrize(
    "cells",
    [
        {"a": 40, "b": 3, "c": 20},
        {"a": 8, "b": 1},
        {"a": 9, "b": 2, "c": 0},
        {"a": 3, "b": 4},
        {"a": 1, "b": 1, "c": 1, "d": 1, "e": 8},
        {"a": 7, "b": 7, "c": 8},
        {"a": 2, "b": 30, "c": 31, "d": 32},
    ],
)
def test_hand_picked_breakdowns_leave_nothing_recoverable(cells):
    assert_no_suppressed_cell_is_recoverable(cells)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=4))
def test_generated_breakdowns_leave_nothing_recoverable(values):
    cells = {f"cell{i}": n for i, n in enumerate(values)}
    published = protect(cells)
    if all(n in (0, 1) for n in values) and sum(values) <= 7:
        return  # the documented limit: all-ones beside zeros are public by the count of non-zero cells
    assert_no_suppressed_cell_is_recoverable(cells)
    assert published.total == SUPPRESSED or published.total == publish_count(sum(values))


def test_the_attack_finds_a_cell_when_only_primary_suppression_is_applied():
    """The brute force has teeth: 1, 8, 8 published as *, 10, 10 with a total of 15 gives the 1 away."""
    naive = Protected(cells={"a": SUPPRESSED, "b": 10, "c": 10}, total=15)
    assert {table["a"] for table in _consistent_tables(naive, 17)} == {1}
    assert protect({"a": 1, "b": 8, "c": 8}).cells["b"] == SUPPRESSED  # what protect() does instead


def test_every_small_three_cell_breakdown_leaves_nothing_recoverable():
    for values in itertools.product(range(16), repeat=3):
        assert_no_suppressed_cell_is_recoverable({"a": values[0], "b": values[1], "c": values[2]})
