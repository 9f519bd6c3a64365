"""Two-way tables (areas by stage) published with both margins: what one way hides, the other must respect,
and no hidden cell can be worked out from the rows, the columns and the totals together."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.disclosure import LARGEST_SUPPRESSED, SUPPRESSED, protect_table
from tests import disclosure_attack as attack

Table = dict[int, dict[int, int]]
# zeros, small counts, the edges of suppression and rounding, and larger counts, in about the mix a quarter has
COUNTS = (0, 0, 0, 1, 2, 3, 5, 7, 8, 9, 12, 13, 15, 30, 60, 140)


def table(*rows: tuple[int, ...]) -> Table:
    return {r: dict(enumerate(row)) for r, row in enumerate(rows)}


def test_a_small_cell_hides_a_second_in_its_row_and_in_its_column():
    published = protect_table(table((3, 20, 30), (40, 50, 60)), [0, 1, 2])
    assert published.cells[0][0] == SUPPRESSED
    assert sum(v == SUPPRESSED for v in published.cells[0].values()) >= 2  # its row
    assert sum(published.cells[r][0] == SUPPRESSED for r in (0, 1)) >= 2  # its column
    assert published.total == 205  # the true total, rounded: 203


def test_nothing_small_hides_nothing():
    published = protect_table(table((10, 20), (30, 40)), [0, 1])
    assert published.cells == {0: {0: 10, 1: 20}, 1: {0: 30, 1: 40}}
    assert (published.row_totals, published.column_totals, published.total) == ({0: 30, 1: 70}, {0: 40, 1: 60}, 100)


def test_zeros_stay_zero_and_an_empty_table_publishes_as_zeros():
    published = protect_table(table((0, 0), (0, 0)), [0, 1])
    assert published.cells == {0: {0: 0, 1: 0}, 1: {0: 0, 1: 0}} and published.total == 0


def test_a_total_hidden_by_another_table_stays_hidden():
    published = protect_table(table((10, 20), (30, 40)), [0, 1], hidden_row_totals={0})
    assert published.row_totals[0] == SUPPRESSED
    # ...and the other row total is hidden with it, or the grand total would give the first away.
    assert published.row_totals[1] == SUPPRESSED or published.total == SUPPRESSED


@pytest.mark.parametrize(
    "rows",
    [
        ((0, 1), (8, 8)),
        ((1, 1), (1, 40)),
        ((7, 0), (0, 7)),
        ((2, 9), (9, 2)),
        ((1, 0, 0), (0, 0, 9)),
        ((5, 12, 0), (12, 5, 30)),
    ],
)
def test_hand_picked_tables_leave_nothing_recoverable(rows):
    assert_nothing_recoverable(table(*rows))


def test_every_two_by_two_table_of_typical_counts_leaves_nothing_recoverable():
    for values in itertools.product((0, 1, 7, 8, 12), repeat=4):  # zero, small, the edges, secondary-sized
        assert_nothing_recoverable(table(values[:2], values[2:]))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2, max_value=8).flatmap(
        lambda width: st.lists(
            st.lists(st.sampled_from(COUNTS), min_size=width, max_size=width), min_size=2, max_size=8
        )
    )
)
def test_generated_tables_from_two_by_two_to_eight_by_eight_leave_nothing_recoverable(rows):
    assert_nothing_recoverable(table(*map(tuple, rows)))


@pytest.mark.parametrize("seed", range(6))
def test_tables_shaped_like_the_dashboard_leave_nothing_recoverable(seed):
    # areas by the seven stages a case can be in, with the mix of counts a quarter has
    generate = random.Random(seed)
    areas = [tuple(generate.choice(COUNTS) for _ in range(7)) for _ in range(generate.randint(3, 12))]
    assert_nothing_recoverable(table(*areas))


def assert_nothing_recoverable(rows: Table) -> None:
    columns = list(next(iter(rows.values())))
    published = protect_table(rows, columns)
    for r, counts in rows.items():  # primary suppression
        for c, n in counts.items():
            assert (published.cells[r][c] == SUPPRESSED) if 1 <= n <= LARGEST_SUPPRESSED else True
    # The house rule: no row or column beside a published total has exactly one suppressed cell.
    lines = [(list(published.cells[r].values()), published.row_totals[r]) for r in rows]
    lines += [([published.cells[r][c] for r in rows], published.column_totals[c]) for c in columns]
    for line, total in lines:
        assert total == SUPPRESSED or sum(shown == SUPPRESSED for shown in line) != 1, (rows, published)
    # The analyst's attack: no suppressed cell is pinned to one value, and the truth is always in what is left.
    for (r, c), found in attack.ranges(
        published.cells, published.row_totals, published.column_totals, published.total
    ).items():
        assert found.least <= rows[r][c] <= found.most, "the attack must consider the true table"
        assert found.width > 1, (rows, published, (r, c), found)


def test_a_row_without_a_column_counts_zero_there():
    published = protect_table({0: {0: 10, 1: 20}, 1: {0: 30}}, [0, 1])
    assert published.cells[1] == {0: 30, 1: 0}
    assert (published.column_totals, published.total) == ({0: 40, 1: 20}, 60)


def test_the_grand_total_is_hidden_when_the_margins_leave_it_no_room():
    # One column of 1, 1, 1, 1 and 8 (the module's own example): the column total would give every cell away,
    # and so would the grand total beside the row totals.
    published = protect_table({r: {0: n} for r, n in enumerate((1, 1, 1, 1, 8))}, [0])
    assert published.column_totals == {0: SUPPRESSED}
    assert published.total == SUPPRESSED
    assert set(published.row_totals.values()) == {SUPPRESSED}
