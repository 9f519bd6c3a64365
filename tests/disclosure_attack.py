"""An analyst's attack on a published two-way table, independent of how app.reports.disclosure protects it.

The analyst knows the rules (0 is shown, 1 to 7 is `*`, every other figure is rounded to the nearest 5, so a
shown figure n is the truth to within 2 and above 7) and reasons linearly: every row adds up to its total, every
column to its total, all of it to the grand total. For each suppressed cell, integer programming (SciPy's
HiGHS-backed `milp`) finds the least and the most it can be in any table that publishes the same way. What that
leaves is what the analyst learns.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

SUPPRESSED = "*"
SMALLEST_SHOWN = 8
ROUNDING = 2
UNBOUNDED = 10**6
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


@dataclass(frozen=True)
class Range:
    least: int
    most: int

    @property
    def width(self) -> int:
        return self.most - self.least + 1


def _interval(shown: object) -> tuple[int, int]:
    if shown == SUPPRESSED:
        return 1, UNBOUNDED  # hidden: not zero (zeros are shown), otherwise anything
    assert isinstance(shown, int)
    if shown == 0:
        return 0, 0
    return max(SMALLEST_SHOWN, shown - ROUNDING), shown + ROUNDING


def ranges(
    cells: Mapping[R, Mapping[C, object]],
    row_totals: Mapping[R, object],
    column_totals: Mapping[C, object],
    total: object,
) -> dict[tuple[R, C], Range]:
    """The least and most each suppressed cell can be, given everything published beside it."""
    rows = list(cells)
    columns = list(next(iter(cells.values())))
    index = {(r, c): i for i, (r, c) in enumerate((r, c) for r in rows for c in columns)}
    lower, upper = zip(*(_interval(cells[r][c]) for r, c in index), strict=True)
    sums: list[tuple[list[int], object]] = [([index[r, c] for c in columns], row_totals[r]) for r in rows]
    sums += [([index[r, c] for r in rows], column_totals[c]) for c in columns]
    sums.append((list(index.values()), total))
    matrix = np.zeros((len(sums), len(index)))
    for line, (members, _) in enumerate(sums):
        matrix[line, members] = 1
    low, high = zip(*(_interval(shown) for _, shown in sums), strict=True)
    constraints = LinearConstraint(matrix, np.array(low), np.array(high))
    bounds = Bounds(np.array(lower), np.array(upper))
    integral = np.ones(len(index))
    found = {}
    for (r, c), i in index.items():
        if cells[r][c] != SUPPRESSED:
            continue
        ends = []
        for sign in (1, -1):
            objective = np.zeros(len(index))
            objective[i] = sign
            result = milp(objective, constraints=constraints, bounds=bounds, integrality=integral)
            assert result.status == 0, f"the published table admits no table at all: {result.message}"
            ends.append(round(sign * result.fun))
        found[r, c] = Range(ends[0], ends[1])
    return found
