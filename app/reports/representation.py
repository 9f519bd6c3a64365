"""Ethnic representativeness: are a group's deaths notified in proportion to its share of the population?

For each group, among the deaths whose ethnicity is stated:
- expected = the deaths notified x the group's share of the area's population with a learning disability
  (whose ethnicity is stated);
- ratio = observed / expected, 1 when a group is notified exactly in proportion;
- a 95% confidence interval for the ratio: the Wilson score interval for the group's share of the deaths,
  divided by its share of the population. Wilson rather than exact Poisson because the question is about a
  share of a known number of deaths (a binomial proportion), and it behaves well at 0 and at small counts;
- a group is significantly under-represented when the whole interval lies below 1 (over-represented: above 1).

Pure functions over plain numbers; the population share is treated as known exactly (it is a count of a
whole population, not a sample).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

CONFIDENCE: Final = 0.95
METHOD: Final = (
    "Wilson score interval (95%) for the group's share of the deaths with a stated ethnicity, "
    "divided by the group's share of the area's population with a learning disability"
)
_Z: Final = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)  # 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Comparison:
    observed: int
    expected: float
    ratio: float | None  # None when nobody was expected (the group has no population)
    interval: Interval | None

    @property
    def under_represented(self) -> bool:
        return self.interval is not None and self.interval.high < 1

    @property
    def over_represented(self) -> bool:
        return self.interval is not None and self.interval.low > 1


def wilson_interval(successes: int, trials: int, z: float = _Z) -> Interval:
    """The Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3)."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, not {successes} of {trials}")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 and at n the bounds are exactly 0 and 1; floating point can land a hair outside.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == trials else min(1.0, centre + half_width)
    return Interval(low, high)


def compare(observed: int, deaths: int, population: int, population_total: int) -> Comparison:
    """One group's `observed` deaths of `deaths` (all with a stated ethnicity) against its `population`
    of `population_total` (likewise)."""
    if population_total <= 0 or not 0 <= population <= population_total:
        raise ValueError("need 0 <= population <= population_total and population_total > 0")
    if deaths < 0 or not 0 <= observed <= deaths:
        raise ValueError("need 0 <= observed <= deaths")
    population_share = population / population_total
    expected = deaths * population_share
    if population == 0 or deaths == 0:
        return Comparison(observed, expected, None, None)
    share = wilson_interval(observed, deaths)
    return Comparison(
        observed,
        expected,
        observed / expected,
        Interval(share.low / population_share, share.high / population_share),
    )
