"""Two-way tables (areas by stage) published with both margins: what one way hides, the other must respect,
and no hidden cell can be worked out from the rows, the columns and the totals together."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.disclosure import (
    LARGEST_SUPPRESSED,
    ROUNDING_ERROR,
    SUPPRESSED,
    ProtectedTable,
    Published,
    protect_table,
)

Table = dict[int, dict[int, int]]


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


@settings(max_examples=12, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=12), min_size=3, max_size=3), min_size=2, max_size=2))
def test_generated_tables_leave_nothing_recoverable(rows):
    assert_nothing_recoverable(table(*map(tuple, rows)))


def assert_nothing_recoverable(rows: Table) -> None:
    columns = list(next(iter(rows.values())))
    published = protect_table(rows, columns)
    for r, cells in rows.items():  # primary suppression, and the totals are the true totals rounded
        for c, n in cells.items():
            assert (published.cells[r][c] == SUPPRESSED) if 1 <= n <= LARGEST_SUPPRESSED else True
    assert fits(rows, published, columns), "the reader below must consider the true table"
    for r, c in [(r, c) for r in rows for c in columns if published.cells[r][c] == SUPPRESSED]:
        assert another_value_fits(rows, published, columns, r, c), (rows, published, (r, c))


def another_value_fits(
    rows: Table, published: ProtectedTable[int, int], columns: list[int], row: int, column: int
) -> bool:
    """Could the hidden cell hold another value than its true one, in some table a reader cannot rule out:
    every cell and total within what was published (a shown count within the rounding of its figure, a `*`
    at least 1: a small count, or a larger one hidden to protect it)? Nearest values first; the other cells
    searched up to the totals they are part of."""
    true = rows[row][column]
    # A reader knows no cell is above a published total it is part of (within the rounding).
    shown_totals = [published.row_totals[row], published.column_totals[column], published.total]
    upper = min((t + ROUNDING_ERROR for t in shown_totals if isinstance(t, int)), default=12)
    others = [(r, c) for r in rows for c in columns if (r, c) != (row, column)]
    options = [possible(published.cells[r][c], bound=upper) for r, c in others]
    for value in sorted(set(range(1, upper + 1)) - {true}, key=lambda v: abs(v - true))[:4]:  # the nearest
        for values in itertools.product(*options):
            candidate = {r: dict(cells) for r, cells in rows.items()}
            candidate[row][column] = value
            for (r, c), v in zip(others, values, strict=True):
                candidate[r][c] = v
            if fits(candidate, published, columns):
                return True
    return False


def possible(shown: Published, bound: int = 12) -> range:
    if shown == SUPPRESSED:
        return range(1, bound + 1)
    assert isinstance(shown, int)
    return (
        range(0, 1)
        if shown == 0
        else range(max(LARGEST_SUPPRESSED + 1, shown - ROUNDING_ERROR), shown + ROUNDING_ERROR + 1)
    )


def fits(candidate: Mapping[int, Mapping[int, int]], published: ProtectedTable[int, int], columns: list[int]) -> bool:
    def within(n: int, shown: Published) -> bool:
        return (shown == SUPPRESSED and n >= 1) or n in possible(shown, bound=n)

    rows_ok = all(within(sum(candidate[r].values()), published.row_totals[r]) for r in candidate)
    columns_ok = all(within(sum(candidate[r][c] for r in candidate), published.column_totals[c]) for c in columns)
    return rows_ok and columns_ok and within(sum(sum(row.values()) for row in candidate.values()), published.total)
