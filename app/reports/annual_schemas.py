"""The area's annual report as the API answers it (JSON), and as the printable page and CSV are made from.

The same shape serves every caller: a coordinator's own area as counted, everyone else's disclosure-controlled
(`disclosure_controlled` says which). Each figure is defined in docs/reports.md ("The area's annual report").
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.actions.annual import LearningIntoAction
from app.notifications.enums import EthnicCategory, EthnicGroup
from app.reports.schemas import Count, Progress, Share


class Cell(BaseModel):
    key: str
    label: str
    count: Count
    percent: Share = Field(description="Of the breakdown's total, from the figures shown.")


class Breakdown(BaseModel):
    """Cells that add up to the total (each person or review in exactly one)."""

    total: Count
    cells: list[Cell]


class AnnualCounts(BaseModel):
    notifications_received: Count = Field(description="Notified in the year (the dashboard's `notified`).")
    excluded: Count = Field(description="Of those, closed as out of scope or as duplicates.")
    deaths_notified: Count = Field(description="Received less excluded: the deaths this report describes.")
    reviews_completed: Count = Field(description="Signed off in the year (the dashboard's `completed`).")


class MedianAge(BaseModel):
    sex: str = Field(description="`all`, or a sex as recorded.")
    label: str
    deaths: Count
    median_age: float | None = Field(description="Median age at death in years; withheld below 8 deaths if published.")
    reference_median_age: float | None = Field(description="The general population's (configured).")
    years_below_reference: float | None = Field(description="Reference minus median: how much younger.")
    withheld: str | None = Field(description="Why no median is given, if it is not.")


class AgeAtDeath(BaseModel):
    medians: list[MedianAge]
    under_65: Breakdown = Field(description="Deaths under 65 and at 65 or over.")
    share_under_65: Share
    reference_source: str


class CausesOfDeath(BaseModel):
    note: str
    breakdown: Breakdown = Field(description="The underlying causes most often recorded, then all others.")


class Grading(BaseModel):
    breakdown: Breakdown = Field(description="Completed reviews by grade of care (1 excellent to 6), or not graded.")
    good_practice: Count | None = Field(
        description="Grades 1 and 2: care met or exceeded good practice. None when a grade's count is suppressed."
    )
    good_practice_share: Share = Field(description="Of the reviews graded.")


class Theme(BaseModel):
    key: str
    label: str
    breakdown: Breakdown = Field(description="Completed reviews answering yes, no, or not recorded.")


class ContributoryFactors(BaseModel):
    reviews: Breakdown = Field(description="Completed reviews citing at least one contributory factor, or none.")
    factors: list[Cell] = Field(
        description="Reviews citing each factor (a review may cite several); percent of reviews completed."
    )


class FlagSummary(BaseModel):
    kind: str
    label: str
    deaths: Breakdown = Field(
        description="Deaths with this flag: standing (open or upheld), or every such flag dismissed with a reason."
    )


class FamilyInvolvement(BaseModel):
    invited: Count = Field(description="Deaths whose family (or a carer) was invited to follow the review.")
    invited_share: Share
    concerns_raised: Count = Field(description="Deaths whose family raised at least one concern.")
    concerns_raised_share: Share
    focused_reviews_requested: Count = Field(description="Deaths whose family asked for a focused review.")
    focused_reviews_requested_share: Share


class GroupComparison(BaseModel):
    group: EthnicGroup
    label: str
    deaths: Count
    deaths_share: Share = Field(description="Of the deaths with a stated ethnicity.")
    population: Count | None = Field(description="People with a learning disability in the area (reference data).")
    population_share: Share = Field(description="Of the population with a stated ethnicity.")
    expected: float | None = Field(description="Deaths expected if notified in proportion to the population.")
    ratio: float | None = Field(description="Deaths notified / expected: below 1 is fewer than expected.")
    ratio_low: float | None = Field(description="95% confidence interval of the ratio (see `method`).")
    ratio_high: float | None
    significantly_under_represented: bool | None = Field(description="The whole interval is below 1.")
    significantly_over_represented: bool | None = Field(description="The whole interval is above 1.")
    withheld: str | None = Field(description="Why no comparison is given, if it is not.")


class EthnicRepresentation(BaseModel):
    method: str
    confidence_level: float
    population_loaded_at: datetime | None = Field(description="When the area's reference population was loaded.")
    deaths: Breakdown = Field(description="Deaths notified by ethnic group, including not stated.")
    population: Breakdown | None = Field(description="The reference population by ethnic group; None if not loaded.")
    groups: list[GroupComparison] = Field(description="Each group with a stated ethnicity.")
    under_represented: list[EthnicGroup] = Field(description="Groups significantly under-represented: act on these.")
    note: str


class AnnualReport(BaseModel):
    """An area's LeDeR annual report for a calendar year."""

    area_ods: str
    area_name: str
    year: int
    starts_on: date
    ends_on: date
    generated_at: datetime = Field(description="When these figures were counted.")
    to_date: bool = Field(
        description="The year had not ended when the figures were counted: they run to `counted_to`, not to "
        "`ends_on`, and will change."
    )
    counted_to: date = Field(description="The last day the figures cover: `ends_on`, or the day they were counted.")
    disclosure_controlled: bool = Field(
        description="Counts of 1 to 7 shown as `*`, others rounded to the nearest 5, percentages from those, "
        "medians of fewer than 8 people withheld. The published version: the one to publish."
    )
    notes: list[str] = Field(description="How to read the figures.")
    counts: AnnualCounts
    progress: Progress = Field(description="The dashboard's measures for the year (app.reports.progress).")
    age_at_death: AgeAtDeath
    place_of_death: Breakdown
    causes_of_death: CausesOfDeath
    grading: Grading
    themes: list[Theme]
    contributory_factors: ContributoryFactors
    flags: list[FlagSummary]
    family_involvement: FamilyInvolvement
    actions: Breakdown = Field(description="Actions agreed in the reviews completed in the year, by status.")
    ethnicity: EthnicRepresentation
    # The area's action plan (app/actions/annual.py); set by publishing.annual_report.
    learning_into_action: LearningIntoAction | None = Field(
        default=None, description="Learning into action: themes, the plan's actions and their progress (counts)."
    )


class PopulationCount(BaseModel):
    ethnic_category: EthnicCategory
    people: int


class AreaPopulationPublic(BaseModel):
    """An area's population with a learning disability by NHS ethnic category, as last loaded."""

    area_ods: str
    loaded_at: datetime | None = Field(description="None if nothing has been loaded for the area.")
    loaded_by: str | None
    total: int
    categories: list[PopulationCount] = Field(description="Categories not listed count as 0.")
