from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.disclosure import SUPPRESSED, Protected, Published, protect, publish_count, share


@pytest.mark.parametrize(
    ("count", "published"),
    [
        (0, 0),
        (1, SUPPRESSED),
        (2, SUPPRESSED),
        (7, SUPPRESSED),
        (8, 10),  # 3 and 4 round up
        (9, 10),
        (10, 10),
        (11, 10),  # 1 and 2 round down
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (1232, 1230),
        (1233, 1235),
        (1234, 1235),
        (1237, 1235),
        (1238, 1240),
    ],
)
def test_a_lone_count_is_suppressed_when_small_and_otherwise_rounded_to_the_nearest_5(count, published):
    assert publish_count(count) == published


@given(st.integers(min_value=8, max_value=10**6))
def test_rounding_moves_a_count_by_at_most_2_to_a_multiple_of_5(count):
    published = publish_count(count)
    assert isinstance(published, int)
    assert published % 5 == 0
    assert abs(published - count) <= 2


def test_negative_counts_are_a_programming_error():
    with pytest.raises(ValueError, match="negative"):
        publish_count(-1)
    with pytest.raises(ValueError, match="negative"):
        protect({"a": 10, "b": -1})
    with pytest.raises(ValueError, match="negative"):
        share(-5, 10)


def test_a_breakdown_must_add_up_to_the_total_it_is_published_with():
    assert protect({"a": 12, "b": 30}, total=42) == protect({"a": 12, "b": 30})
    with pytest.raises(ValueError, match="add up to 42"):
        protect({"a": 12, "b": 30}, total=50)


@pytest.mark.parametrize(
    ("cells", "published_cells", "published_total"),
    [
        # Nothing small: every figure rounded, the total from the true total (24), not from 10 + 10.
        ({"a": 12, "b": 12}, {"a": 10, "b": 10}, 25),
        # One small cell among big ones: the smallest other non-zero cell goes too, or 70 - 40 - 25 gives it away.
        ({"a": 3, "b": 40, "c": 25}, {"a": "*", "b": 40, "c": "*"}, 70),
        # Two small cells hide each other: 50 - 40 only gives their sum, roughly.
        ({"a": 3, "b": 5, "c": 40}, {"a": "*", "b": "*", "c": 40}, 50),
        # A zero is not disclosive and is not chosen as the second suppression.
        ({"a": 3, "b": 0, "c": 20}, {"a": "*", "b": 0, "c": "*"}, 25),
        # One small cell and only zeros: nothing else to hide, so the total goes (it is small anyway).
        ({"a": 3, "b": 0, "c": 0}, {"a": "*", "b": 0, "c": 0}, SUPPRESSED),
        ({"a": 0, "b": 0}, {"a": 0, "b": 0}, 0),
        # *, *, 10, 10 with a total of 40 would pin both small cells at 7: at least 38 - 24 = 14 between them.
        ({"a": 7, "b": 7, "c": 12, "d": 12}, {"a": "*", "b": "*", "c": "*", "d": "*"}, 40),
        # *, *, *, *, 10 with a total of 10 would pin the four small cells at 1: at most 12 - 8 = 4 between them.
        ({"a": 1, "b": 1, "c": 1, "d": 1, "e": 8}, {"a": "*", "b": "*", "c": "*", "d": "*", "e": "*"}, SUPPRESSED),
    ],
)
def test_secondary_suppression(cells, published_cells, published_total):
    published = protect(cells)
    assert published == Protected(published_cells, published_total)
    assert list(published.cells) == list(cells)  # same order, for the report's rows


# Recovery attacks. A reader who knows these rules lists every true table that would have been published exactly
# as it was; a suppressed cell is safe only if those tables leave it at least two values.

HAND_PICKED = [
    (3, 40),
    (3, 40, 25),
    (3, 5, 40),
    (1, 1, 40),
    (7, 7, 12, 12),
    (7, 7, 7, 12),
    (12, 12, 7, 12),
    (1, 1, 1, 1, 8),
    (7, 7, 7, 7),
    (1, 8, 8),
    (7, 8, 8),
    (3, 0, 0),
    (0, 3, 0, 8),
    (6, 13, 0, 18),
    (0, 0),
    (1, 1, 1, 1, 1),
    (2, 1, 1, 1, 1),
]


@pytest.mark.parametrize("counts", HAND_PICKED)
def test_no_suppressed_cell_of_a_hand_picked_breakdown_can_be_worked_out(counts):
    assert_no_suppressed_cell_can_be_worked_out(dict(enumerate(counts)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=5))
def test_no_suppressed_cell_of_any_breakdown_can_be_worked_out(counts):
    assert_no_suppressed_cell_can_be_worked_out(dict(enumerate(counts)))


def assert_no_suppressed_cell_can_be_worked_out(cells: Mapping[int, int]) -> None:
    published = protect(cells)
    hidden = [key for key, shown in published.cells.items() if shown == SUPPRESSED]
    # Subtraction: a lone suppressed cell is the published total less the others, to within the rounding.
    assert published.total == SUPPRESSED or len(hidden) != 1, (cells, published)
    assert could_be(published, cells), "the reader below must consider the true table"
    values = values_a_reader_cannot_rule_out(published)
    assert all(len(values[key]) >= 2 for key in hidden), (cells, published, values)


def test_the_attack_finds_a_cell_that_only_primary_suppression_leaves():
    """The brute force has teeth: *, 10, 10 with a total of 15 leaves at most 17 - 8 - 8 = 1 for the first cell."""

    def primary_suppression_only(cells: Mapping[int, int]) -> Protected[int]:
        return Protected({key: publish_count(n) for key, n in cells.items()}, publish_count(sum(cells.values())))

    published = primary_suppression_only({0: 1, 1: 8, 2: 8})
    assert published == Protected({0: SUPPRESSED, 1: 10, 2: 10}, 15)
    assert values_a_reader_cannot_rule_out(published, primary_suppression_only) == {0: {1}}


def could_be(published: Protected[int], cells: Mapping[int, int]) -> bool:
    return sum(cells.values()) in possible_totals(published) and all(
        cells[key] in possible_values(shown) for key, shown in published.cells.items() if shown != SUPPRESSED
    )


def values_a_reader_cannot_rule_out(
    published: Protected[int], publish: Callable[[Mapping[int, int]], Protected[int]] = protect
) -> dict[int, set[int]]:
    """For each suppressed cell, the values it takes across the true tables consistent with `published`.

    Stops as soon as every suppressed cell has two: that already shows the reader cannot pin any of them down.
    """
    values: dict[int, set[int]] = {key: set() for key, shown in published.cells.items() if shown == SUPPRESSED}
    for table in tables_consistent_with(published, publish):
        for key, seen in values.items():
            seen.add(table[key])
        if all(len(seen) >= 2 for seen in values.values()):
            break
    return values


def tables_consistent_with(
    published: Protected[int], publish: Callable[[Mapping[int, int]], Protected[int]]
) -> Iterator[dict[int, int]]:
    """Every true table that `publish` turns into `published`: the strongest reader, who knows the rules."""
    hidden = [key for key, shown in published.cells.items() if shown == SUPPRESSED]
    shown = {key: figure for key, figure in published.cells.items() if figure != SUPPRESSED}
    for shown_counts in product(*(possible_values(figure) for figure in shown.values())):
        for total in possible_totals(published):
            for hidden_counts in counts_of_at_least_1_adding_up_to(total - sum(shown_counts), len(hidden)):
                table = dict(zip(shown, shown_counts, strict=True)) | dict(zip(hidden, hidden_counts, strict=True))
                candidate = {key: table[key] for key in published.cells}
                if publish(candidate) == published:
                    yield candidate


def possible_values(figure: Published) -> range:
    """The true counts behind a shown figure: 0 is 0; r is anything within 2 of it that is too big to suppress."""
    assert isinstance(figure, int)
    return range(0, 1) if figure == 0 else range(max(8, figure - 2), figure + 3)


def possible_totals(published: Protected[int]) -> range:
    if published.total != SUPPRESSED:
        return possible_values(published.total)
    # A suppressed total is small, or made of cells that are all suppressed; searching fewer totals than a reader
    # could only makes the attack stronger, and could_be() checks the true table is among them.
    return range(0, 7 * len(published.cells) + 1)


def counts_of_at_least_1_adding_up_to(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(1, total - parts + 2):
        for rest in counts_of_at_least_1_adding_up_to(total - first, parts - 1):
            yield (first, *rest)


def test_share_is_computed_from_the_published_figures():
    published = protect({"a": 12, "b": 13})  # 10, 15; total 25
    assert share(published.cells["a"], published.total) == 40.0  # not 12 / 25 = 48%
    assert share(10, 30) == 33.3
    assert share(20, 30) == 66.7
    assert share(5, 80) == 6.3  # 6.25: halves round up, whatever binary floats make of them
    assert share(0, 25) == 0.0


def test_share_is_withheld_when_a_figure_is_suppressed_or_the_whole_is_zero():
    published = protect({"a": 3, "b": 40, "c": 25})
    assert share(published.cells["a"], published.total) is None
    assert share(published.cells["b"], published.total) == 57.1
    assert share(40, SUPPRESSED) is None
    assert share(0, 0) is None
