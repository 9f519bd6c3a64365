"""The annual report a caller sees, made from the counted figures: as counted, or disclosure-controlled.

One path builds both, through a `Publication` that either passes counts through or applies the rules of
`app.reports.disclosure` (one function decides; nothing here rounds or suppresses by itself).

Published breakdowns share totals: the deaths notified are the total of the sex, age, place, cause and
ethnicity breakdowns, and a cell of the counts table; the reviews completed, of the grading, theme and
factor breakdowns. A total hidden in one place must be hidden everywhere, or a reader would subtract. So
a controlled report is built until no breakdown hides a shared total the others still show.
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from app.actions.annual import csv_rows as learning_csv_rows
from app.actions.annual import learning_into_action
from app.areas.models import Area
from app.core.clock import uk_date
from app.core.spreadsheets import SafeCsvWriter
from app.findings.schemas import ActionStatus, ContributoryFactor
from app.flags.detect import FlagKind
from app.notifications.enums import ETHNIC_GROUP, EthnicCategory, EthnicGroup, PlaceOfDeath, Sex
from app.reports import periods, representation
from app.reports.annual import THEMES, AnnualFigures, Median, annual_figures
from app.reports.annual_schemas import (
    AgeAtDeath,
    AnnualCounts,
    AnnualReport,
    Breakdown,
    CausesOfDeath,
    Cell,
    ContributoryFactors,
    EthnicRepresentation,
    FamilyInvolvement,
    FlagSummary,
    Grading,
    GroupComparison,
    MedianAge,
    Theme,
)
from app.reports.dashboard import SMALLEST_PUBLISHED_MEDIAN, dashboard
from app.reports.disclosure import LARGEST_SUPPRESSED, SUPPRESSED, Protected, Published, protect, publish_count, share
from app.reports.periods import Period
from app.reports.schemas import Progress

K = TypeVar("K", bound=Hashable)

SMALLEST_NAMED_CAUSE = 8  # published, a cause of death is named only if recorded at least this often
DEATHS, RECEIVED, COMPLETED = "deaths notified", "notifications received", "reviews completed"

SEX_LABELS: dict[str, str] = {
    "all": "Everyone",
    Sex.female: "Women",
    Sex.male: "Men",
    Sex.indeterminate: "Indeterminate",
    Sex.not_known: "Not known",
}
PLACE_LABELS: dict[str, str] = {
    PlaceOfDeath.hospital: "Hospital",
    PlaceOfDeath.home: "Home",
    PlaceOfDeath.care_home: "Care home",
    PlaceOfDeath.hospice: "Hospice",
    PlaceOfDeath.other: "Elsewhere",
}
GRADE_LABELS: dict[str, str] = {
    "1": "1: excellent care, exceeding good practice",
    "2": "2: good care, meeting good practice",
    "3": "3: satisfactory; fell short in ways that did not significantly affect wellbeing",
    "4": "4: fell short, affecting wellbeing but not contributing to the death",
    "5": "5: fell short, significantly affecting wellbeing or potentially contributing to the death",
    "6": "6: fell far short and contributed to the death",
    "not_graded": "Not graded",
}
GOOD_PRACTICE_GRADES = ("1", "2")
THEME_LABELS: dict[str, str] = {
    "potentially_avoidable": "The death was potentially avoidable",
    "mental_capacity_act_applied": "The Mental Capacity Act was applied where it should have been",
    "mccd_accurate": "The medical certificate of cause of death was accurate",
    "dnacpr_appropriate": "A DNACPR order in place was appropriate",
    "dnacpr_correctly_completed": "A DNACPR order in place was correctly completed",
}
ANSWER_LABELS: dict[str, str] = {"yes": "Yes", "no": "No", "not_recorded": "Not recorded"}
FLAG_LABELS: dict[str, str] = {
    FlagKind.learning_disability_as_cause_of_death: "Learning disability given as a cause of death",
    FlagKind.learning_disability_as_dnacpr_rationale: "Learning disability given as the reason for a DNACPR order",
}
ACTION_LABELS: dict[str, str] = {
    ActionStatus.planned: "Planned",
    ActionStatus.in_progress: "In progress",
    ActionStatus.completed: "Completed",
    ActionStatus.not_achieved: "Not achieved",
}
GROUP_LABELS: dict[str, str] = {
    EthnicGroup.white: "White",
    EthnicGroup.mixed: "Mixed or multiple ethnic groups",
    EthnicGroup.asian: "Asian or Asian British",
    EthnicGroup.black: "Black or Black British",
    EthnicGroup.other: "Other ethnic groups",
    EthnicGroup.not_stated: "Not stated",
}
OTHER_CAUSES = "other"

CONTROLLED_NOTES = [
    "Figures are disclosure-controlled for publication: 0 is shown as 0, counts of 1 to 7 as *, other counts "
    "rounded to the nearest 5; a further count or total is hidden (*) where it would let a reader work out a "
    "hidden one.",
    "Percentages, expected counts and ratios are computed from the figures as shown, and are not given where "
    "those are hidden.",
    "Medians of fewer than 8 people are withheld: a median of so few could identify someone.",
    "Causes of death are named only where recorded at least 8 times; the rest are counted together.",
]
EXACT_NOTES = [
    "Figures are as counted, for the area's own use: not for publication as they stand. To publish, use the "
    "publishable version (version=publishable), the disclosure-controlled one national callers see.",
]


@dataclass(frozen=True)
class References:
    """The general population's median age at death by sex, and where it comes from."""

    median_age: Mapping[str, float]
    source: str


@dataclass
class Publication:
    """How counts are shown: `controlled`, or as counted. Remembers the shared totals it had to hide."""

    controlled: bool
    hidden_totals: set[str] = field(default_factory=set)
    hid_more: bool = False

    def count(self, n: int) -> Published:
        return publish_count(n) if self.controlled else n

    def breakdown(
        self,
        cells: Mapping[K, int],
        total: str | None = None,
        cell_totals: Mapping[K, str] | None = None,
    ) -> Protected[K]:
        """`total` names the shared total the cells add up to; `cell_totals`, cells that are shared totals.

        A cell that is a shared total is worth more than this breakdown's own total: rather than hide it to
        protect another cell, the total is hidden (and with it, wherever else it is shown).
        """
        if not self.controlled:
            return Protected(dict(cells), sum(cells.values()))
        cell_totals = cell_totals or {}
        hidden = {key for key, name in cell_totals.items() if name in self.hidden_totals}
        total_hidden = total in self.hidden_totals
        shown = protect(cells, hidden=hidden, total_hidden=total_hidden)
        if any(shown.cells[key] == SUPPRESSED and cells[key] > LARGEST_SUPPRESSED for key in cell_totals):
            shown = protect(cells, hidden=hidden, total_hidden=True)
        newly = {name for key, name in cell_totals.items() if shown.cells[key] == SUPPRESSED}
        if total is not None and shown.total == SUPPRESSED:
            newly.add(total)
        if newly - self.hidden_totals:
            self.hidden_totals |= newly
            self.hid_more = True
        return shown

    def median(self, median: Median | None) -> tuple[float | None, str | None]:
        if median is None:
            return None, "No deaths."
        if self.controlled and median.people < SMALLEST_PUBLISHED_MEDIAN:
            return None, f"Fewer than {SMALLEST_PUBLISHED_MEDIAN} deaths: withheld from published figures."
        return median.value, None


def build_report(
    figures: AnnualFigures,
    *,
    area_ods: str,
    area_name: str,
    period: Period,
    progress: Progress,
    references: References,
    controlled: bool,
    generated_at: datetime,
) -> AnnualReport:
    publication = Publication(controlled)
    if controlled:  # what the dashboard's own tables hid, these must hide too
        if progress.notified == SUPPRESSED:
            publication.hidden_totals.add(RECEIVED)
        if progress.completed == SUPPRESSED:
            publication.hidden_totals.add(COMPLETED)
    while True:
        publication.hid_more = False
        report = _build(figures, publication, area_ods, area_name, period, progress, references, generated_at)
        if not publication.hid_more:
            return report


def _build(
    figures: AnnualFigures,
    pub: Publication,
    area_ods: str,
    area_name: str,
    period: Period,
    progress: Progress,
    references: References,
    generated_at: datetime,
) -> AnnualReport:
    received = pub.breakdown(
        {"deaths_notified": figures.deaths_notified, "excluded": figures.excluded},
        RECEIVED,
        cell_totals={"deaths_notified": DEATHS},
    )
    completed_total = pub.count(figures.reviews_completed) if COMPLETED not in pub.hidden_totals else SUPPRESSED
    counts = AnnualCounts(
        notifications_received=received.total,
        excluded=received.cells["excluded"],
        deaths_notified=received.cells["deaths_notified"],
        reviews_completed=completed_total,
    )
    grading = _grading(figures, pub)
    themes = [_theme(key, figures.themes.get(key, {}), pub) for key in THEMES]
    factors = _factors(figures, pub)
    age = _age(figures, pub, references)
    places = {p.value: figures.deaths_by_place[p.value] for p in PlaceOfDeath}
    place = _cells(pub.breakdown(places, DEATHS), PLACE_LABELS)
    causes = _causes(figures, pub)
    ethnicity = _ethnicity(figures, pub)
    return AnnualReport(
        area_ods=area_ods,
        area_name=area_name,
        year=period.starts_on.year,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        generated_at=generated_at,
        to_date=periods.to_date(period, generated_at),
        counted_to=periods.counted_to(period, generated_at),
        disclosure_controlled=pub.controlled,
        notes=CONTROLLED_NOTES if pub.controlled else EXACT_NOTES,
        counts=counts,
        progress=_consistent(progress, pub),
        age_at_death=age,
        place_of_death=place,
        causes_of_death=causes,
        grading=grading,
        themes=themes,
        contributory_factors=factors,
        flags=[_flag(kind, figures, pub) for kind in FlagKind],
        family_involvement=_family(figures, pub, counts.deaths_notified),
        actions=_cells(
            pub.breakdown({s.value: figures.actions_by_status[s.value] for s in ActionStatus}), ACTION_LABELS
        ),
        ethnicity=ethnicity,
    )


def _cells(shown: Protected[str], labels: Mapping[str, str]) -> Breakdown:
    return Breakdown(
        total=shown.total,
        cells=[
            Cell(key=k, label=labels.get(k, k), count=n, percent=share(n, shown.total)) for k, n in shown.cells.items()
        ],
    )


def _consistent(progress: Progress, pub: Publication) -> Progress:
    """The dashboard's measures, hiding the totals this report's own tables hid."""
    if not pub.controlled:
        return progress
    changes: dict[str, object] = {}
    if RECEIVED in pub.hidden_totals:
        changes["notified"] = SUPPRESSED
    if COMPLETED in pub.hidden_totals:
        changes |= {
            "completed": SUPPRESSED,
            "completed_within_six_months_share": None,
            "completed_within_six_months_hold_adjusted_share": None,
        }
    return progress.model_copy(update=changes)


def _age(figures: AnnualFigures, pub: Publication, references: References) -> AgeAtDeath:
    by_sex = pub.breakdown({s.value: figures.deaths_by_sex[s.value] for s in Sex}, DEATHS)
    medians = []
    for sex in ["all", *(s.value for s in Sex)]:
        value, withheld = pub.median(figures.median_age.get(sex))
        reference = references.median_age.get(sex)
        medians.append(
            MedianAge(
                sex=sex,
                label=SEX_LABELS[sex],
                deaths=by_sex.total if sex == "all" else by_sex.cells[sex],
                median_age=value,
                reference_median_age=reference,
                years_below_reference=round(reference - value, 1) if value is not None and reference else None,
                withheld=withheld,
            )
        )
    under = figures.deaths_under_65
    bands = _cells(
        pub.breakdown({"under_65": under, "65_and_over": figures.deaths_notified - under}, DEATHS),
        {"under_65": "Under 65", "65_and_over": "65 or over"},
    )
    return AgeAtDeath(
        medians=medians,
        under_65=bands,
        share_under_65=bands.cells[0].percent,
        reference_source=references.source,
    )


def _causes(figures: AnnualFigures, pub: Publication) -> CausesOfDeath:
    named = dict(figures.underlying_causes)
    cells = {**named, OTHER_CAUSES: figures.deaths_notified - sum(named.values())}
    labels = {text: text[:1].upper() + text[1:] for text in named} | {OTHER_CAUSES: "All other causes"}
    note = (
        "The underlying cause is the last line of Part I of the medical certificate of cause of death, compared "
        "as written (ignoring case). The 10 most often recorded are named"
    )
    note += ", each only if recorded at least 8 times." if pub.controlled else "."
    return CausesOfDeath(note=note, breakdown=_cells(pub.breakdown(cells, DEATHS), labels))


def _grading(figures: AnnualFigures, pub: Publication) -> Grading:
    cells = {str(g): figures.grades[g] for g in range(1, 7)} | {"not_graded": figures.grades[None]}
    shown = _cells(pub.breakdown(cells, COMPLETED), GRADE_LABELS)
    by_key = {c.key: c.count for c in shown.cells}
    good = [by_key[g] for g in GOOD_PRACTICE_GRADES]
    good_practice = sum(n for n in good if isinstance(n, int)) if all(isinstance(n, int) for n in good) else None
    not_graded, total = by_key["not_graded"], shown.total
    graded = total - not_graded if isinstance(total, int) and isinstance(not_graded, int) else SUPPRESSED
    return Grading(
        breakdown=shown,
        good_practice=good_practice,
        good_practice_share=share(good_practice, graded) if good_practice is not None else None,
    )


def _theme(key: str, answers: Mapping[bool | None, int], pub: Publication) -> Theme:
    cells = {"yes": answers.get(True, 0), "no": answers.get(False, 0), "not_recorded": answers.get(None, 0)}
    return Theme(key=key, label=THEME_LABELS[key], breakdown=_cells(pub.breakdown(cells, COMPLETED), ANSWER_LABELS))


def _factors(figures: AnnualFigures, pub: Publication) -> ContributoryFactors:
    with_any = figures.reviews_with_contributory_factors
    reviews = _cells(
        pub.breakdown({"with_factors": with_any, "without": figures.reviews_completed - with_any}, COMPLETED),
        {"with_factors": "At least one contributory factor", "without": "None"},
    )
    factors = []
    for factor in ContributoryFactor:
        n = pub.count(figures.contributory_factors[factor.value])
        label = factor.value.replace("_", " ").capitalize()
        factors.append(Cell(key=factor.value, label=label, count=n, percent=share(n, reviews.total)))
    return ContributoryFactors(reviews=reviews, factors=factors)


def _flag(kind: FlagKind, figures: AnnualFigures, pub: Publication) -> FlagSummary:
    counts = figures.flags.get(kind.value)
    cells = {"standing": counts.standing if counts else 0, "dismissed": counts.dismissed if counts else 0}
    labels = {"standing": "Standing (open or upheld)", "dismissed": "Dismissed, with a reason"}
    return FlagSummary(kind=kind.value, label=FLAG_LABELS[kind], deaths=_cells(pub.breakdown(cells), labels))


def _family(figures: AnnualFigures, pub: Publication, deaths: Published) -> FamilyInvolvement:
    invited = pub.count(figures.families_invited)
    concerns = pub.count(figures.families_raised_concerns)
    focused = pub.count(figures.focused_reviews_requested_by_families)
    return FamilyInvolvement(
        invited=invited,
        invited_share=share(invited, deaths),
        concerns_raised=concerns,
        concerns_raised_share=share(concerns, deaths),
        focused_reviews_requested=focused,
        focused_reviews_requested_share=share(focused, deaths),
    )


def _ethnicity(figures: AnnualFigures, pub: Publication) -> EthnicRepresentation:
    def by_group(counts: Mapping[str, int]) -> dict[str, int]:
        grouped = dict.fromkeys((g.value for g in EthnicGroup), 0)
        for category, n in counts.items():
            grouped[ETHNIC_GROUP[EthnicCategory(category)].value] += n
        return grouped

    deaths = _cells(pub.breakdown(by_group(figures.deaths_by_ethnic_category), DEATHS), GROUP_LABELS)
    population = _cells(pub.breakdown(by_group(figures.population)), GROUP_LABELS) if figures.population else None
    stated_deaths = _stated(deaths)
    stated_population = _stated(population) if population else None
    groups = []
    for group in EthnicGroup:
        if group is EthnicGroup.not_stated:
            continue
        groups.append(_compare(group, deaths, population, stated_deaths, stated_population))
    under = [g.group for g in groups if g.significantly_under_represented]
    note = (
        "Expected: the deaths with a stated ethnicity, shared out in proportion to the area's population with a "
        "learning disability. A ratio below 1 means fewer deaths were notified than expected: either fewer "
        "people of that group died, or their deaths were not notified, which the programme asks areas to look into."
    )
    if population is None:
        note = "No reference population has been loaded for this area, so nothing can be expected: " + note
    elif pub.controlled:
        note += " Computed from the published (rounded) figures."
    return EthnicRepresentation(
        method=representation.METHOD,
        confidence_level=representation.CONFIDENCE,
        population_loaded_at=figures.population_loaded_at,
        deaths=deaths,
        population=population,
        groups=groups,
        under_represented=under,
        note=note,
    )


def _stated(breakdown: Breakdown) -> int | None:
    """The total less those not stated, from the figures shown; None when either is hidden."""
    not_stated = next(c.count for c in breakdown.cells if c.key == EthnicGroup.not_stated.value)
    if isinstance(breakdown.total, int) and isinstance(not_stated, int):
        return breakdown.total - not_stated
    return None


def _compare(
    group: EthnicGroup,
    deaths: Breakdown,
    population: Breakdown | None,
    stated_deaths: int | None,
    stated_population: int | None,
) -> GroupComparison:
    observed = next(c.count for c in deaths.cells if c.key == group.value)
    people = next(c.count for c in population.cells if c.key == group.value) if population else None
    result = GroupComparison(
        group=group,
        label=GROUP_LABELS[group],
        deaths=observed,
        deaths_share=share(observed, stated_deaths) if stated_deaths is not None else None,
        population=people,
        population_share=share(people, stated_population) if people is not None and stated_population else None,
        expected=None,
        ratio=None,
        ratio_low=None,
        ratio_high=None,
        significantly_under_represented=None,
        significantly_over_represented=None,
        withheld=None,
    )
    if population is None:
        return result.model_copy(update={"withheld": "No reference population loaded."})
    if (
        not isinstance(observed, int)
        or not isinstance(people, int)
        or stated_deaths is None
        or stated_population is None
    ):
        return result.model_copy(update={"withheld": "Computed from figures that are suppressed."})
    if stated_deaths == 0:
        return result.model_copy(update={"withheld": "No deaths with a stated ethnicity."})
    if people == 0:
        return result.model_copy(update={"withheld": "No reference population in this group."})
    if not observed <= stated_deaths or not people <= stated_population:
        return result.model_copy(update={"withheld": "The rounded figures do not allow it."})
    comparison = representation.compare(observed, stated_deaths, people, stated_population)
    interval = comparison.interval
    assert comparison.ratio is not None and interval is not None  # some deaths, and some population
    return result.model_copy(
        update={
            "expected": round(comparison.expected, 1),
            "ratio": round(comparison.ratio, 2),
            "ratio_low": round(interval.low, 2),
            "ratio_high": round(interval.high, 2),
            "significantly_under_represented": comparison.under_represented,
            "significantly_over_represented": comparison.over_represented,
        }
    )


def references_from(male: float, female: float, source: str) -> References:
    return References({Sex.male.value: male, Sex.female.value: female}, source)


async def annual_report(
    session: AsyncSession,
    area: Area,
    year: int,
    *,
    controlled: bool,
    references: References,
    generated_at: datetime,
) -> AnnualReport:
    """The area's report for the calendar year, as counted or as published."""
    period = periods.year(year)
    figures = await annual_figures(
        session, area.ods_code, period, cause_min_count=SMALLEST_NAMED_CAUSE if controlled else 1
    )
    board = await dashboard(
        session, period, [area], with_england=False, controlled=controlled, generated_at=generated_at
    )
    # PROGRESS MEASURES: the dashboard's measures for the year come from app.reports.progress (through the
    # dashboard, which publishes them by the same rules); `_consistent` keeps its totals in step with ours.
    progress = Progress.model_validate(board.areas[0].model_dump(exclude={"area_ods", "area_name"}))
    report = build_report(
        figures,
        generated_at=generated_at,
        area_ods=area.ods_code,
        area_name=area.name,
        period=period,
        progress=progress,
        references=references,
        controlled=controlled,
    )
    # LEARNING INTO ACTION: the action plan's section (app/actions/annual.py), as of today.
    report.learning_into_action = await learning_into_action(
        session, area.ods_code, period, uk_date(generated_at), controlled=controlled
    )
    return report


def annual_csv(report: AnnualReport) -> str:
    """The report as rows of `section,item,label,count,percent`; its first rows say which version, and when."""
    out = io.StringIO()
    writer = SafeCsvWriter(out, lineterminator="\n")
    writer.writerow(["area_ods", "year", "section", "item", "label", "count", "percent"])

    def row(section: str, item: str, label: str, count: object, percent: float | None = None) -> None:
        writer.writerow([report.area_ods, report.year, section, item, label, count, "" if percent is None else percent])

    def breakdown(section: str, shown: Breakdown) -> None:
        for cell in shown.cells:
            row(section, cell.key, cell.label, cell.count, cell.percent)
        row(section, "total", "Total", shown.total)

    controlled = report.disclosure_controlled
    version = "publishable (disclosure-controlled)" if controlled else "as counted: not for publication"
    row("report", "version", "Version", version)
    row("report", "starts_on", "Period starts", report.starts_on.isoformat())
    row("report", "counted_to", "Figures to date" if report.to_date else "Period ends", report.counted_to.isoformat())
    row("report", "generated_at", "Generated", report.generated_at.isoformat(timespec="seconds"))
    for name, value in report.counts:
        row("counts", name, name.replace("_", " ").capitalize(), value)
    for name, value in report.progress:
        row("progress", name, name.replace("_", " ").capitalize(), "" if value is None else value)
    for m in report.age_at_death.medians:
        row("median_age_at_death", m.sex, m.label, "" if m.median_age is None else m.median_age)
        row(
            "reference_median_age_at_death",
            m.sex,
            m.label,
            "" if m.reference_median_age is None else m.reference_median_age,
        )
    breakdown("age_at_death", report.age_at_death.under_65)
    breakdown("place_of_death", report.place_of_death)
    breakdown("underlying_cause_of_death", report.causes_of_death.breakdown)
    breakdown("grade_of_care", report.grading.breakdown)
    good = report.grading.good_practice
    row(
        "grade_of_care",
        "good_practice",
        "Grades 1 and 2",
        "" if good is None else good,
        report.grading.good_practice_share,
    )
    for theme in report.themes:
        breakdown(f"theme:{theme.key}", theme.breakdown)
    breakdown("contributory_factors", report.contributory_factors.reviews)
    for cell in report.contributory_factors.factors:
        row("contributory_factor", cell.key, cell.label, cell.count, cell.percent)
    for flag in report.flags:
        breakdown(f"flag:{flag.kind}", flag.deaths)
    family = report.family_involvement
    row("family_involvement", "invited", "Invited", family.invited, family.invited_share)
    row(
        "family_involvement", "concerns_raised", "Concerns raised", family.concerns_raised, family.concerns_raised_share
    )
    focused = family.focused_reviews_requested
    row(
        "family_involvement",
        "focused_reviews_requested",
        "Focused reviews requested",
        focused,
        family.focused_reviews_requested_share,
    )
    breakdown("actions", report.actions)
    breakdown("deaths_by_ethnic_group", report.ethnicity.deaths)
    for g in report.ethnicity.groups:
        for item in ("expected", "ratio", "ratio_low", "ratio_high"):
            value = getattr(g, item)
            row(f"ethnic_representation:{item}", g.group.value, g.label, "" if value is None else value)
    if report.learning_into_action is not None:
        learning_csv_rows(row, report.learning_into_action)
    return out.getvalue()
