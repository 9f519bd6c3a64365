"""Statistical disclosure control for published counts, as NHS England publishes them.

Every count in a national or otherwise publishable report goes through `publish_count` or `protect`:
- 0 is shown as 0: knowing that nobody is in a group identifies nobody;
- 1 to 7 is suppressed (`*`): few enough to point at a person or family;
- anything else is rounded to the nearest 5 (3 and 4 up, 1 and 2 down), so that comparing two tables cut
  slightly differently cannot isolate a person either.

A breakdown printed beside its total needs more (secondary suppression): with the total and every cell but one,
a reader finds the missing cell by subtraction, to within the rounding. So a breakdown never has exactly one
suppressed cell beside a published total; one more cell is suppressed, the smallest non-zero one so the least is
lost. The same holds when the figures leave the suppressed cells no room: 1, 1, 1, 1, 8 would publish as
*, *, *, *, 10 with a total of 10, and four cells of at least 1 beside one of at least 8 inside at most 12 can
only be 1 each. When no cell is left to suppress, the total is suppressed instead. The published total is always
the true total rounded, never the sum of rounded cells.

Known limit: zeros are shown, so how many cells are non-zero is public. Seven cells of 1 publish as seven `*`
with a suppressed total (7), and seven non-zero cells adding up to at most 7 can only be 1 each. No choice of
cells fixes that without hiding zeros, which the rules do not allow.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeAlias, TypeVar

SUPPRESSED: Final = "*"
LARGEST_SUPPRESSED: Final = 7
ROUNDING_ERROR: Final = 2  # a figure rounded to the nearest 5 is at most 2 away from the truth

Published: TypeAlias = int | str
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Protected(Generic[K]):
    """A breakdown as it may be published: the same cells in the same order, and its total."""

    cells: dict[K, Published]
    total: Published


def publish_count(n: int) -> Published:
    """A count published on its own, with no breakdown beside it."""
    _check_count(n)
    if 1 <= n <= LARGEST_SUPPRESSED:
        return SUPPRESSED
    return 5 * ((n + ROUNDING_ERROR) // 5)


def protect(
    cells: Mapping[K, int],
    total: int | None = None,
    *,
    hidden: AbstractSet[K] = frozenset(),
    total_hidden: bool = False,
) -> Protected[K]:
    """A breakdown that partitions `total` (by default the sum of the cells), safe to publish with its total.

    A breakdown that does not cover everyone in the total needs an explicit remainder cell ("Not recorded"):
    the missing people would otherwise be an unpublished cell that the rules above cannot protect.
    `hidden` cells and a `total_hidden` are already suppressed elsewhere (the other way through a table).
    """
    for n in cells.values():
        _check_count(n)
    true_total = sum(cells.values())
    if total is not None and total != true_total:
        raise ValueError(f"the cells add up to {true_total}, not to the total {total}")
    published = {key: SUPPRESSED if key in hidden else publish_count(n) for key, n in cells.items()}
    published_total = SUPPRESSED if total_hidden else publish_count(true_total)
    while isinstance(published_total, int) and _reader_can_work_out_a_suppressed_cell(
        cells, published, published_total
    ):
        still_shown = [key for key, n in cells.items() if n > 0 and published[key] != SUPPRESSED]
        if still_shown:
            published[min(still_shown, key=cells.__getitem__)] = SUPPRESSED
        else:
            published_total = SUPPRESSED
    return Protected(published, published_total)


R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


@dataclass(frozen=True)
class ProtectedTable(Generic[R, C]):
    """A two-way table as it may be published, with every row's total, every column's total and the grand total."""

    cells: dict[R, dict[C, Published]]
    row_totals: dict[R, Published]
    column_totals: dict[C, Published]
    total: Published


def protect_table(
    rows: Mapping[R, Mapping[C, int]], columns: Sequence[C], *, hidden_row_totals: AbstractSet[R] = frozenset()
) -> ProtectedTable[R, C]:
    """Areas by categories, published with both margins: every row, and every column, is a breakdown of its
    total, so each is protected as one, and what one way hides the other way must respect. Repeated until
    neither way hides anything more (it only ever hides more, so it ends).

    `hidden_row_totals` are hidden already, by another table that publishes the same row totals.
    """
    keys = list(rows)
    value = {(r, c): rows[r].get(c, 0) for r in keys for c in columns}
    row_total = {r: sum(value[r, c] for c in columns) for r in keys}
    column_total = {c: sum(value[r, c] for r in keys) for c in columns}
    hidden: set[tuple[str, object, object]] = {("row_total", r, None) for r in hidden_row_totals}
    while True:
        before = len(hidden)
        for r in keys:
            _mark(
                hidden,
                "cell",
                r,
                protect(
                    {c: value[r, c] for c in columns},
                    hidden={c for c in columns if ("cell", r, c) in hidden},
                    total_hidden=("row_total", r, None) in hidden,
                ),
                "row_total",
            )
        for c in columns:
            published = protect(
                {r: value[r, c] for r in keys},
                hidden={r for r in keys if ("cell", r, c) in hidden},
                total_hidden=("column_total", c, None) in hidden,
            )
            hidden |= {("cell", r, c) for r, shown in published.cells.items() if shown == SUPPRESSED}
            if published.total == SUPPRESSED:
                hidden.add(("column_total", c, None))
        # The margins are breakdowns of the grand total too.
        by_row = protect(
            row_total,
            hidden={r for r in keys if ("row_total", r, None) in hidden},
            total_hidden=("grand", None, None) in hidden,
        )
        hidden |= {("row_total", r, None) for r, shown in by_row.cells.items() if shown == SUPPRESSED}
        by_column = protect(
            column_total,
            hidden={c for c in columns if ("column_total", c, None) in hidden},
            total_hidden=("grand", None, None) in hidden,
        )
        hidden |= {("column_total", c, None) for c, shown in by_column.cells.items() if shown == SUPPRESSED}
        for margin in (by_row, by_column):
            if margin.total == SUPPRESSED:
                hidden.add(("grand", None, None))
        if len(hidden) == before:
            break

    def shown(kind: str, r: object, c: object, n: int) -> Published:
        return SUPPRESSED if (kind, r, c) in hidden else publish_count(n)

    return ProtectedTable(
        cells={r: {c: shown("cell", r, c, value[r, c]) for c in columns} for r in keys},
        row_totals={r: shown("row_total", r, None, row_total[r]) for r in keys},
        column_totals={c: shown("column_total", c, None, column_total[c]) for c in columns},
        total=shown("grand", None, None, sum(row_total.values())),
    )


def _mark(
    hidden: set[tuple[str, object, object]], kind: str, row: object, published: Protected[Any], total_kind: str
) -> None:
    hidden |= {(kind, row, c) for c, shown in published.cells.items() if shown == SUPPRESSED}
    if published.total == SUPPRESSED:
        hidden.add((total_kind, row, None))


def share(part: Published, whole: Published) -> float | None:
    """`part` as a percentage of `whole`, to 1 decimal place (halves up), from the figures as published.

    Computed from the published figures so that a reader can reproduce it, and so that it gives away nothing
    the published figures do not; None when either figure is suppressed or the whole is 0.
    """
    if isinstance(part, str) or isinstance(whole, str) or whole == 0:
        return None
    _check_count(part)
    _check_count(whole)
    tenths_of_a_percent = (2000 * part + whole) // (2 * whole)  # integer arithmetic: no binary-float halves
    return tenths_of_a_percent / 10


def _reader_can_work_out_a_suppressed_cell(
    cells: Mapping[K, int], published: Mapping[K, Published], total: int
) -> bool:
    hidden = [cells[key] for key, shown in published.items() if shown == SUPPRESSED]
    shown = [n for n in published.values() if isinstance(n, int) and n > 0]
    if len(hidden) <= 1:
        return len(hidden) == 1
    # What a reader who knows these rules can say about each hidden cell: a small one is 1 to 7; one hidden only to
    # protect another is above 7, and no bigger than any cell still shown (the smallest is the one hidden).
    secondary_most = min((n + ROUNDING_ERROR for n in shown), default=total + ROUNDING_ERROR)
    least_each = [1 if n <= LARGEST_SUPPRESSED else LARGEST_SUPPRESSED + 1 for n in hidden]
    most_each = [LARGEST_SUPPRESSED if n <= LARGEST_SUPPRESSED else secondary_most for n in hidden]
    # Together they add up to the total less the shown cells, each figure known to within the rounding (and a
    # shown cell to be above 7). If that leaves them no room, every one is at its least or at its most.
    most = total + ROUNDING_ERROR - sum(max(LARGEST_SUPPRESSED + 1, n - ROUNDING_ERROR) for n in shown)
    least = total - ROUNDING_ERROR - sum(n + ROUNDING_ERROR for n in shown)
    return most <= sum(least_each) or least >= sum(most_each)


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
